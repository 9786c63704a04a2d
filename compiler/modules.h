/* modules.h - what aslc loads as modules (modules.c, llvm_load.c). */
#ifndef ASL_MODULES_H
#define ASL_MODULES_H

/* Loads the module FILE (or the one the environment variable VAR names)
 * and returns its SYMBOL; NULL with *why (malloc'd) naming WHAT. */
void *asl_module_open(const char *var, const char *file, const char *what, const char *symbol,
                      char **why);

/* aslc serve: asl_serve_main of aslc_serve.so. */
int asl_serve_module_main(int argc, char **argv);

#endif
