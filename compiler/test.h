/*
 * test.h - `aslc test`: the test cases of mock configurations and test
 * files run on definitions compiled in memory, reported as TAP or JUnit
 * XML (test.c).
 */
#ifndef ASL_TEST_H
#define ASL_TEST_H

/* aslc test FILE... [OPTIONS]: argv[0] is "test".  Returns the exit
 * status: 0 every test passed, 1 some failed, 2 bad usage or a file that
 * cannot be read. */
int asl_test_main(int argc, char **argv);

#endif /* ASL_TEST_H */
