/* order_services: the three services of the order pipeline, as small
 * reusable units over the public libstream API (examples/, compiled into
 * ls-demo too).
 *
 *   orders --> warehouse --> inventory -----> inventory service
 *                  |                                 |
 *                  +--> notifications <--------------+
 *                            |
 *                            +--> notification service
 *
 * Topics and messages (JSON values; strings are escaped, numbers are
 * integers):
 *   orders         the "orders" generator's events, key order_id.
 *   inventory      one stock request per order, key product_id, written by
 *                  the warehouse: {"type":"reserve","order_id",
 *                  "customer_id","customer","product_id","product",
 *                  "quantity"}.
 *   notifications  customer messages, key customer_id: {"type","order_id",
 *                  "customer_id","customer","product_id","product",
 *                  "quantity","message"} with type "received" (from the
 *                  warehouse, one per order), "shipped" (from the
 *                  inventory, plus "stock_left") or "rejected" (from the
 *                  inventory, plus "in_stock").
 *
 * Who owns the stock: the inventory service, alone.  The warehouse only
 * asks for stock; the inventory decides.  Requests are keyed by product,
 * so every request for one product lands in one partition and is decided
 * by one inventory instance, in order: stock is never negative and never
 * needs a lock or a second opinion.  Stock only goes down, so the
 * arithmetic is checkable after a run:
 *   served + rejected                      = requests = orders
 *   stock(p) = initial(p) - units shipped(p) >= 0        for every product
 *   quantity of any rejected order of p    > stock(p)    (it did not fit)
 * and the notification service sees the same numbers from the other side
 * (received = orders, shipped = served, rejected = rejected).
 *
 * Delivery: each step polls a batch, handles it, flushes the producer
 * (every output acknowledged) and only then commits the batch's offsets:
 * at least once.  A service that crashes between the flush and the commit
 * handles that batch again.  The inventory's stock lives in memory: a
 * restarted inventory starts again from the initial stock (a production
 * service would keep it next to its committed offsets).
 *
 * Configuration: conf (borrowed and copied) configures the service's
 * consumer: bootstrap.servers, any librdkafka property, and group.id
 * (default: the service's name: "warehouse", "inventory",
 * "notification").  It configures the producer too, unless the service is
 * given a producer_conf of its own (acks, compression, metadata refresh:
 * properties a consumer must not get).
 *
 * Thread safety: like ls_consumer_t, one thread drives a service; the
 * log callback runs on that thread inside *_step() and *_close().
 */
#ifndef ORDER_SERVICES_H
#define ORDER_SERVICES_H

#include <libstream/libstream.h>

#define ORDER_TOPIC_ORDERS "orders"
#define ORDER_TOPIC_INVENTORY "inventory"
#define ORDER_TOPIC_NOTIFICATIONS "notifications"

/* The default starting stock of every product the inventory meets. */
#define ORDER_DEFAULT_STOCK 500

/* One human-readable line: an action at LS_LOG_INFO ("warehouse:
 * processing ORD-... (2 x Laptop)"), a skipped message or a retried error
 * at LS_LOG_WARNING.  No newline; borrowed for the call. */
typedef void(order_log_cb_t)(void *opaque, int level, const char *line);

/* Per-product figures, as the inventory (or the notification service)
 * sees them.  Fields a service does not know are -1. */
typedef struct order_product {
    const char *product_id;
    const char *product;       /* name, as last seen */
    int64_t initial;           /* starting stock (inventory only) */
    int64_t stock;             /* stock now (inventory only) */
    uint64_t served;           /* orders served (shipped) */
    uint64_t units_served;     /* units shipped */
    uint64_t rejected;         /* orders rejected */
    uint64_t units_rejected;   /* units of the rejected orders */
    int64_t min_rejected;      /* smallest rejected quantity, -1 if none */
} order_product_t;

/* Called once per product, in no particular order; p is borrowed. */
typedef void(order_product_cb_t)(void *opaque, const order_product_t *p);

/* ---- the warehouse: orders -> inventory requests + "received" ---- */

typedef struct warehouse_s warehouse_t;

typedef struct {
    uint64_t orders;             /* orders handled */
    uint64_t units;              /* units requested (sum of quantities) */
    uint64_t bad;                /* messages skipped: not an order */
    uint64_t requests_sent;      /* to inventory, acknowledged */
    uint64_t notifications_sent; /* to notifications, acknowledged */
} warehouse_stats_t;

/* Create and subscribe to "orders".  conf and producer_conf (NULL: conf)
 * are borrowed.  Fails like ls_consumer_new() / ls_producer_new(). */
ls_error_t *warehouse_new(warehouse_t **out, const ls_conf_t *conf,
                          const ls_conf_t *producer_conf);
void warehouse_set_log_cb(warehouse_t *w, order_log_cb_t *cb, void *opaque);
/* Count the service's consumer in registry m (borrowed, must outlive the
 * service) as component "warehouse". */
void warehouse_set_metrics(warehouse_t *w, ls_metrics_t *m);
/* Poll one batch (waiting up to timeout_ms), handle it, flush, commit.
 * *processed (may be NULL): messages taken.  Fails only when the service
 * cannot go on (a fatal consumer error, an output not delivered); then
 * the batch is not committed. */
ls_error_t *warehouse_step(warehouse_t *w, int timeout_ms, size_t *processed);
/* Non-zero once every assigned partition is read to its end. */
int warehouse_at_end(const warehouse_t *w);
/* Committed-offset lag over the assigned partitions, asked from the
 * brokers (ls_consumer_lag): *lag the sum, *partitions how many. */
ls_error_t *warehouse_lag(warehouse_t *w, int timeout_ms, int64_t *lag,
                          int *partitions);
void warehouse_stats(const warehouse_t *w, warehouse_stats_t *out);
/* Flush, commit, leave the group.  After close only destroy is valid. */
ls_error_t *warehouse_close(warehouse_t *w);
/* Free (closing first if needed).  NULL is a no-op. */
void warehouse_destroy(warehouse_t *w);

/* ---- the inventory: requests -> stock, "shipped" / "rejected" ---- */

typedef struct inventory_s inventory_t;

typedef struct {
    uint64_t requests;           /* stock requests decided */
    uint64_t served;             /* served: stock taken */
    uint64_t rejected;           /* rejected: not enough stock */
    uint64_t units_served;
    uint64_t units_rejected;
    uint64_t bad;                /* messages skipped: not a request */
    uint64_t notifications_sent; /* acknowledged */
} inventory_stats_t;

/* Create and subscribe to "inventory".  Every product starts with
 * initial_stock (>= 0) units unless inventory_set_stock() says otherwise.
 * conf and producer_conf (NULL: conf) are borrowed. */
ls_error_t *inventory_new(inventory_t **out, const ls_conf_t *conf,
                          const ls_conf_t *producer_conf,
                          int64_t initial_stock);
/* Starting stock of one product (before its first request). */
ls_error_t *inventory_set_stock(inventory_t *inv, const char *product_id,
                                int64_t stock);
void inventory_set_log_cb(inventory_t *inv, order_log_cb_t *cb, void *opaque);
/* Count the service's consumer in registry m as component "inventory". */
void inventory_set_metrics(inventory_t *inv, ls_metrics_t *m);
ls_error_t *inventory_step(inventory_t *inv, int timeout_ms,
                           size_t *processed);
int inventory_at_end(const inventory_t *inv);
ls_error_t *inventory_lag(inventory_t *inv, int timeout_ms, int64_t *lag,
                          int *partitions);
void inventory_stats(const inventory_t *inv, inventory_stats_t *out);
/* Stock now, or -1 for a product never seen nor set. */
int64_t inventory_stock(const inventory_t *inv, const char *product_id);
void inventory_foreach(const inventory_t *inv, order_product_cb_t *cb,
                       void *opaque);
ls_error_t *inventory_close(inventory_t *inv);
void inventory_destroy(inventory_t *inv);

/* ---- the notification service: one line per notification ---- */

typedef struct notifier_s notifier_t;

typedef struct {
    uint64_t notifications; /* all handled */
    uint64_t received;      /* by type */
    uint64_t shipped;
    uint64_t rejected;
    uint64_t other;         /* a type this service does not know */
    uint64_t bad;           /* skipped: not a notification */
} notifier_stats_t;

/* Create and subscribe to "notifications" (consumer only).  Each
 * notification is one LS_LOG_INFO line: "notification: to NAME (ID):
 * MESSAGE".  conf is borrowed. */
ls_error_t *notifier_new(notifier_t **out, const ls_conf_t *conf);
void notifier_set_log_cb(notifier_t *n, order_log_cb_t *cb, void *opaque);
/* Count the service's consumer in registry m as component "notification". */
void notifier_set_metrics(notifier_t *n, ls_metrics_t *m);
ls_error_t *notifier_step(notifier_t *n, int timeout_ms, size_t *processed);
int notifier_at_end(const notifier_t *n);
ls_error_t *notifier_lag(notifier_t *n, int timeout_ms, int64_t *lag,
                         int *partitions);
void notifier_stats(const notifier_t *n, notifier_stats_t *out);
/* Shipped and rejected orders per product, from the notifications. */
void notifier_foreach(const notifier_t *n, order_product_cb_t *cb,
                      void *opaque);
ls_error_t *notifier_close(notifier_t *n);
void notifier_destroy(notifier_t *n);

/* ---- a small JSON scanner (the examples link only libstream) ---- */

/* The raw text of the top-level member key of the JSON object
 * json[0..len) (a string keeps its quotes), with its length in *vlen; NULL
 * when json is not an object or has no such member. */
const char *order_json_value(const char *json, size_t len, const char *key,
                             size_t *vlen);
/* The string member key, unescaped into buf (NUL-terminated).  Returns 0,
 * or -1 when missing, not a string, or longer than size - 1. */
int order_json_string(const char *json, size_t len, const char *key,
                      char *buf, size_t size);
/* The integer member key.  Returns 0, or -1 when missing or not an
 * integer. */
int order_json_int(const char *json, size_t len, const char *key,
                   int64_t *out);

#endif
