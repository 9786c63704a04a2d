/*
 * two_workflows.c - one program, two workflows compiled into it by
 * `aslc emit`, their Task resources bound to C functions by pattern, the
 * output of the first fed to the second.
 *
 *   quote.c  from `aslc emit quote.asl.json --prefix quote`: quote_machine
 *   ship.c   from `aslc emit ship.asl.json --prefix ship`:   ship_machine
 *
 * "quote" prices each line of an order (a Map: PriceLine runs on several
 * threads at once) and sums them (SumLines); "ship" takes that quote,
 * decides the shipping and books a courier (BookCourier).  One bindings
 * table serves both workflows.  Amounts are integer cents.
 *
 * The handlers follow the rules of aslrt_handler_fn (aslrt.h): the input is
 * borrowed and never changed, the output is a new reference, errors go
 * through aslrt_error_set, and state shared between calls (the courier's
 * counter) is safe from several threads at once.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <aslrt.h>

extern const aslrt_machine quote_machine;   /* quote.c */
extern const aslrt_machine ship_machine;    /* ship.c */

/* ---- Handlers ------------------------------------------------------------ */

typedef struct price {
    const char *sku;
    long long cents;
} price;

/* The catalog: read-only, so PriceLine may read it from every thread. */
static const price catalog[] = {
    {"BOOK", 2500},
    {"PEN", 150},
    {"LAMP", 4500},
};

/* PriceLine: {"sku": "PEN", "qty": 10} -> {"sku", "qty", "unit", "amount"} */
static int price_line(void *ud, json_t *input, json_t **output, aslrt_error *err)
{
    const price *cat = ud;
    const char *sku = json_string_value(json_object_get(input, "sku"));
    json_t *qty = json_object_get(input, "qty");

    if (!sku || !json_is_integer(qty) || json_integer_value(qty) < 1) {
        aslrt_error_set(err, "Catalog.InvalidLine",
                        "a line needs a \"sku\" string and a positive integer \"qty\"");
        return 0;
    }
    for (size_t i = 0; i < sizeof catalog / sizeof catalog[0]; i++) {
        if (strcmp(cat[i].sku, sku) == 0) {
            *output = json_pack("{s:s, s:I, s:I, s:I}", "sku", sku, "qty",
                                json_integer_value(qty), "unit", (json_int_t)cat[i].cents,
                                "amount", (json_int_t)(cat[i].cents * json_integer_value(qty)));
            return *output != NULL;
        }
    }
    /* The Cause is copied by aslrt_error_set: a local buffer is fine. */
    char cause[128];
    snprintf(cause, sizeof cause, "no price for SKU '%.64s'", sku);
    aslrt_error_set(err, "Catalog.UnknownSku", cause);
    return 0;
}

/* SumLines: [{"amount": 5000, ...}, ...] -> 6500 */
static int sum_lines(void *ud, json_t *input, json_t **output, aslrt_error *err)
{
    json_int_t total = 0;
    size_t i;
    json_t *line;

    (void)ud;
    if (!json_is_array(input)) {
        aslrt_error_set(err, "Quote.InvalidLines", "expected an array of priced lines");
        return 0;
    }
    json_array_foreach(input, i, line)
        total += json_integer_value(json_object_get(line, "amount"));
    *output = json_integer(total);
    return 1;
}

/* BookCourier: {"order": "ORD-1", "country": "FR"} -> "TRK-FR-1001".  The
 * counter is shared by every call, from any thread: an atomic. */
static int book_courier(void *ud, json_t *input, json_t **output, aslrt_error *err)
{
    atomic_long *next = ud;
    const char *country = json_string_value(json_object_get(input, "country"));

    if (!country || strlen(country) != 2) {
        aslrt_error_set(err, "Courier.NoSuchCountry", "\"country\" must be a two-letter code");
        return 0;
    }
    *output = json_sprintf("TRK-%s-%ld", country, atomic_fetch_add(next, 1));
    return *output != NULL;
}

/* ---- Running one workflow ----------------------------------------------- */

/* Runs prog on input (borrowed).  Returns the output (new), or NULL after
 * printing "ORDER: STEP failed: Error: Cause". */
static json_t *run(const aslrt_program *prog, const aslrt_config *cfg, json_t *input,
                   const char *order, const char *step)
{
    json_t *output = NULL;
    aslrt_error err = {0};

    if (aslrt_execute(prog, cfg, input, &output, &err) == ASLRT_SUCCEEDED)
        return output;
    printf("%s: %s failed: %s: %s\n", order, step, err.error ? err.error : "(no error)",
           err.cause ? err.cause : "(no cause)");
    aslrt_error_clear(&err);
    return NULL;
}

static void print_value(const char *order, const char *what, json_t *v)
{
    char *text = aslrt_json_dumps(v);
    printf("%s: %s %s\n", order, what, text);
    free(text);
}

int main(void)
{
    static const char *const orders[] = {
        "{\"order\": \"ORD-1\", \"country\": \"FR\","
        " \"lines\": [{\"sku\": \"BOOK\", \"qty\": 2}, {\"sku\": \"PEN\", \"qty\": 10}]}",
        "{\"order\": \"ORD-2\", \"country\": \"DE\", \"lines\": [{\"sku\": \"LAMP\", \"qty\": 3}]}",
        "{\"order\": \"ORD-3\", \"country\": \"IT\", \"lines\": [{\"sku\": \"KITE\", \"qty\": 1}]}",
    };
    atomic_long next_tracking = 1001;
    aslrt_error err = {0};
    int status = 0;

    aslrt_program *quote = aslrt_program_create(&quote_machine, &err);
    aslrt_program *ship = quote ? aslrt_program_create(&ship_machine, &err) : NULL;
    if (!quote || !ship) {
        fprintf(stderr, "two_workflows: %s\n", err.cause ? err.cause : "cannot load a workflow");
        aslrt_error_clear(&err);
        aslrt_program_destroy(quote);
        return 2;
    }

    /* One table for both workflows: patterns, first match wins. */
    aslrt_bindings *b = aslrt_bindings_create();
    aslrt_bindings_add_c(b, "arn:aws:lambda:*:*:function:Price*", price_line, (void *)catalog);
    aslrt_bindings_add_c(b, "arn:aws:lambda:*:*:function:Sum*", sum_lines, NULL);
    aslrt_bindings_add_c(b, "arn:aws:lambda:*:*:function:Book*", book_courier, &next_tracking);
    aslrt_config cfg;
    aslrt_config_init(&cfg);
    cfg.bindings = b;

    for (size_t i = 0; i < sizeof orders / sizeof orders[0]; i++) {
        json_t *order = json_loads(orders[i], 0, NULL);
        const char *name = json_string_value(json_object_get(order, "order"));

        json_t *quoted = run(quote, &cfg, order, name, "quote");
        if (quoted) {
            print_value(name, "quote", quoted);
            json_t *shipped = run(ship, &cfg, quoted, name, "ship");   /* quote's output in */
            if (shipped)
                print_value(name, "shipped", shipped);
            else
                status = 1;
            json_decref(shipped);
        }
        json_decref(quoted);
        json_decref(order);
    }

    aslrt_bindings_destroy(b);
    aslrt_program_destroy(ship);
    aslrt_program_destroy(quote);
    return status;
}
