/* libstream: deterministic generators of realistic JSON events.
 *
 * Randomness comes from a xoshiro256** state held in the handle, seeded
 * with splitmix64(seed); the wall clock (when no clock is set) only
 * affects "timestamp", never the random stream.  Each event is appended
 * field by field (memcpy and hand-written digits, no snprintf, which was
 * too slow for >1M events/s) into a buffer owned by the handle; strings
 * are JSON-escaped.
 *
 * Event shapes (all money is computed in integer cents and printed with
 * exactly two decimals; all catalog strings are plain ASCII that needs no
 * JSON escaping):
 *
 *   orders   order_id "ORD-<4-digit seed tag><seq, 8+ digits>" (unique per
 *            run), customer_id "CUST-nnnnn", customer, product_id "P-nnn",
 *            product, category, quantity 1..5, price, total = quantity *
 *            price, currency, timestamp.  Key: order_id.
 *   clicks   event_id "CLK-XXXXXXXX", user_id "USER-nnnnn", product_id,
 *            product, category, price, price_bucket (low < 50 <= medium
 *            <= 200 < high), action (view, click, add_to_cart, purchase),
 *            timestamp.  Key: event_id.
 *   ERP/CRM  event_type is the kind name ("sales", "payments",
 *            "interactions", "inventory", "procurement", "telemetry"),
 *            so the topic is event_type + "_topic"; event_id is a prefix
 *            (SALE, PAY, INT, INV, PROC, TEL) + "-" + 8 uppercase hex,
 *            unique for the first 2^32 events of a run.  Key: event_id.
 *
 * Timestamps are ISO 8601 UTC with milliseconds: 2026-11-26T04:20:26.123Z.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "libstream/generator.h"

/* ---- kinds ------------------------------------------------------------ */

typedef enum {
    K_ORDERS,
    K_CLICKS,
    K_SALES,
    K_PAYMENTS,
    K_INTERACTIONS,
    K_INVENTORY,
    K_PROCUREMENT,
    K_TELEMETRY,
    K_ERP,
    K__COUNT
} kind_t;

#define ERP_FIRST K_SALES
#define ERP_COUNT 6

static const struct {
    const char *name;
    const char *topic;
    const char *prefix; /* id prefix ("" for erp, which cycles) */
} kind_info[K__COUNT] = {
    [K_ORDERS] = {"orders", "orders", "ORD-"},
    [K_CLICKS] = {"clicks", "clicks", "CLK-"},
    [K_SALES] = {"sales", "sales_topic", "SALE-"},
    [K_PAYMENTS] = {"payments", "payments_topic", "PAY-"},
    [K_INTERACTIONS] = {"interactions", "interactions_topic", "INT-"},
    [K_INVENTORY] = {"inventory", "inventory_topic", "INV-"},
    [K_PROCUREMENT] = {"procurement", "procurement_topic", "PROC-"},
    [K_TELEMETRY] = {"telemetry", "telemetry_topic", "TEL-"},
    [K_ERP] = {"erp", "sales_topic", ""},
};

#define KINDS_LIST                                                         \
    "orders, clicks, sales, payments, interactions, inventory, "           \
    "procurement, telemetry, erp"

/* ---- catalogs (ASCII, nothing that needs JSON escaping) --------------- */

typedef struct {
    const char *id;
    const char *name;
    const char *category;
    uint32_t min_usd, max_usd; /* whole dollars */
} product_t;

static const product_t products[] = {
    {"P-001", "USB-C Cable", "Accessories", 7, 19},
    {"P-002", "Phone Case", "Accessories", 9, 35},
    {"P-003", "Coffee Mug", "Home & Kitchen", 6, 18},
    {"P-004", "Paperback Novel", "Books", 8, 22},
    {"P-005", "Water Bottle", "Sports & Outdoors", 12, 39},
    {"P-006", "Mouse Pad", "Accessories", 5, 25},
    {"P-007", "Yoga Mat", "Sports & Outdoors", 19, 48},
    {"P-008", "Headphones", "Electronics", 59, 199},
    {"P-009", "Mechanical Keyboard", "Electronics", 69, 189},
    {"P-010", "Wireless Mouse", "Electronics", 50, 129},
    {"P-011", "Backpack", "Bags", 55, 160},
    {"P-012", "Running Shoes", "Sports & Outdoors", 60, 180},
    {"P-013", "Smart Speaker", "Electronics", 50, 199},
    {"P-014", "Desk Lamp", "Home & Kitchen", 50, 120},
    {"P-015", "Laptop", "Computers", 699, 2499},
    {"P-016", "Smartphone", "Electronics", 399, 1299},
    {"P-017", "Tablet", "Computers", 249, 1099},
    {"P-018", "4K Monitor", "Computers", 229, 899},
    {"P-019", "Mirrorless Camera", "Electronics", 549, 2199},
    {"P-020", "Smartwatch", "Electronics", 201, 799},
    {"P-021", "Espresso Machine", "Home & Kitchen", 249, 1199},
};
#define N_PRODUCTS (sizeof(products) / sizeof(products[0]))

static const char *const first_names[] = {
    "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael",
    "Linda", "David", "Elizabeth", "William", "Barbara", "Richard", "Susan",
    "Joseph", "Jessica", "Thomas", "Sarah", "Carlos", "Aisha", "Wei",
    "Priya", "Lukas", "Sofia",
};
#define N_FIRST (sizeof(first_names) / sizeof(first_names[0]))

static const char *const last_names[] = {
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller",
    "Davis", "Rodriguez", "Martinez", "Hernandez", "Lopez", "Wilson",
    "Anderson", "Taylor", "Moore", "Martin", "Lee", "Nguyen", "Patel",
    "Mueller", "Schmidt", "Rossi", "Kowalski",
};
#define N_LAST (sizeof(last_names) / sizeof(last_names[0]))

#define N_CUSTOMERS 50000u /* CUST-00001 .. CUST-50000 */
#define N_USERS 90000u     /* USER-10000 .. USER-99999 */
#define N_FLEET 500u       /* vehicles reporting telemetry */

typedef struct {
    const char *name;
    const char *wmi; /* VIN world manufacturer identifier */
    uint32_t min_eur, max_eur;
} car_model_t;

static const car_model_t car_models[] = {
    {"Volkswagen Golf", "WVW", 27000, 42000},
    {"Volkswagen ID.4", "WVG", 39000, 55000},
    {"BMW 3 Series", "WBA", 43000, 68000},
    {"BMW X5", "WBA", 72000, 105000},
    {"Mercedes-Benz C-Class", "WDD", 46000, 72000},
    {"Audi A4", "WAU", 41000, 63000},
    {"Toyota Corolla", "JTD", 22000, 31000},
    {"Toyota RAV4", "JTM", 33000, 46000},
    {"Honda Civic", "JHM", 24000, 33000},
    {"Ford Focus", "WF0", 21000, 33000},
    {"Tesla Model 3", "5YJ", 40000, 57000},
    {"Skoda Octavia", "TMB", 26000, 40000},
};
#define N_CAR_MODELS (sizeof(car_models) / sizeof(car_models[0]))

static const struct {
    const char *name;
    const char *currency;
} dealers[] = {
    {"Autohaus Berlin Mitte", "EUR"}, {"Munich Motors", "EUR"},
    {"Hamburg Auto Center", "EUR"},   {"Rhein-Main Automobile", "EUR"},
    {"Paris Nord Automobiles", "EUR"}, {"Amsterdam Car Group", "EUR"},
    {"Thames Valley Motors", "GBP"},  {"Manchester Auto Hub", "GBP"},
    {"Chicago Lakeshore Auto", "USD"}, {"Bay Area Motors", "USD"},
};
#define N_DEALERS (sizeof(dealers) / sizeof(dealers[0]))

static const char *const currencies3[] = {"EUR", "EUR", "EUR", "USD", "GBP"};
#define N_CURRENCIES (sizeof(currencies3) / sizeof(currencies3[0]))

static const struct {
    const char *method;
    uint32_t min_eur, max_eur;
} pay_methods[] = {
    {"card", 50, 5000},
    {"bank_transfer", 500, 60000},
    {"cash", 20, 2000},
    {"financing", 200, 1500},
};
#define N_PAY_METHODS (sizeof(pay_methods) / sizeof(pay_methods[0]))

static const struct {
    const char *channel;
    uint32_t min_s, max_s;
} channels[] = {
    {"email", 30, 600},
    {"phone", 60, 1800},
    {"web", 20, 900},
    {"showroom", 600, 5400},
};
#define N_CHANNELS (sizeof(channels) / sizeof(channels[0]))

static const char *const interaction_types[] = {
    "inquiry", "quote_request", "test_drive", "service_booking",
    "complaint", "follow_up",
};
#define N_ITYPES (sizeof(interaction_types) / sizeof(interaction_types[0]))

static const char *const agents[] = {
    "Anna Becker", "Tom Fischer", "Laura Weber", "Jonas Wagner",
    "Emma Clarke", "Oliver Hughes", "Chloe Martin", "Lucas Bernard",
    "Mia Jansen", "Noah de Vries", "Olivia Reed", "Ethan Brooks",
};
#define N_AGENTS (sizeof(agents) / sizeof(agents[0]))

typedef struct {
    const char *sku;
    const char *name;
    uint32_t min_cents, max_cents; /* unit cost */
    uint32_t reorder_point;
} part_t;

static const part_t parts[] = {
    {"SKU-10001", "Brake Pad Set", 2400, 6800, 120},
    {"SKU-10002", "Brake Disc", 3500, 9800, 80},
    {"SKU-10003", "Oil Filter", 450, 1500, 300},
    {"SKU-10004", "Air Filter", 700, 2200, 250},
    {"SKU-10005", "Spark Plug", 300, 1400, 400},
    {"SKU-10006", "Wiper Blade", 800, 2600, 200},
    {"SKU-10007", "Headlight Assembly", 12000, 45000, 25},
    {"SKU-10008", "12V Battery", 8000, 21000, 60},
    {"SKU-10009", "Alternator", 15000, 42000, 20},
    {"SKU-10010", "Timing Belt Kit", 9000, 26000, 40},
    {"SKU-10011", "Shock Absorber", 4500, 16000, 70},
    {"SKU-10012", "Tire 205/55 R16", 6000, 15000, 160},
    {"SKU-10013", "Cabin Filter", 600, 2000, 220},
    {"SKU-10014", "Side Mirror", 5000, 19000, 30},
    {"SKU-10015", "Engine Oil 5W-30 5L", 2500, 5500, 350},
    {"SKU-10016", "Coolant 5L", 1200, 3000, 180},
};
#define N_PARTS (sizeof(parts) / sizeof(parts[0]))

static const char *const warehouses[] = {
    "WH-BER-01", "WH-HAM-01", "WH-MUC-02", "WH-FRA-01", "WH-ROT-01",
    "WH-LYS-01",
};
#define N_WAREHOUSES (sizeof(warehouses) / sizeof(warehouses[0]))

static const char *const suppliers[] = {
    "Bosch Automotive", "Continental AG", "ZF Friedrichshafen", "Valeo",
    "Denso Europe", "Magna Steyr", "Brembo", "Michelin", "Mahle",
    "Schaeffler",
};
#define N_SUPPLIERS (sizeof(suppliers) / sizeof(suppliers[0]))

/* City centres in micro-degrees; vehicles roam within ~0.15 deg. */
static const struct {
    int32_t lat, lon;
} cities[] = {
    {52520008, 13404954},   /* Berlin */
    {48137154, 11576124},   /* Munich */
    {53551086, 9993682},    /* Hamburg */
    {50110924, 8682127},    /* Frankfurt */
    {48856613, 2352222},    /* Paris */
    {52367573, 4904139},    /* Amsterdam */
    {48208174, 16373819},   /* Vienna */
    {40416775, -3703790},   /* Madrid */
    {51507351, -127758},    /* London */
    {40712776, -74005974},  /* New York */
    {-23550520, -46633308}, /* Sao Paulo */
    {-33868820, 151209296}, /* Sydney */
};
#define N_CITIES (sizeof(cities) / sizeof(cities[0]))
#define CITY_SPREAD_UDEG 150000

/* ---- the handle -------------------------------------------------------- */

#define BUF_INITIAL 1024

struct ls_generator_s {
    kind_t kind;       /* as created */
    kind_t cur;        /* kind of the current event (erp cycles) */
    uint64_t s[4];     /* xoshiro256** state */
    uint64_t tag64;    /* seed-derived salt for ids and the fleet */
    uint32_t tag;      /* low 32 bits of tag64 */
    uint64_t seq;      /* events rendered so far */
    int clock_set;
    int64_t next_ms, step_ms;
    int64_t ts;        /* current event's timestamp */
    int64_t date_day;  /* day number cached in date[] */
    size_t date_len;
    char date[24];     /* "YYYY-MM-DD" for date_day */
    char tsbuf[48];    /* current event's ISO 8601 timestamp */
    char key[40];
    size_t key_len;
    char *buf;
    size_t cap, len;
    int oom;           /* growing the buffer failed for this event */
};

/* ---- randomness -------------------------------------------------------- */

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static inline uint64_t rotl64(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static inline uint64_t rnd64(ls_generator_t *g)
{
    uint64_t *s = g->s;
    const uint64_t result = rotl64(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl64(s[3], 45);
    return result;
}

/* Uniform in [0, n) (multiply-shift; bias is negligible for small n). */
static inline uint32_t rnd_below(ls_generator_t *g, uint32_t n)
{
    return (uint32_t)(((rnd64(g) >> 32) * (uint64_t)n) >> 32);
}

/* Uniform in [lo, hi]. */
static inline uint32_t rnd_range(ls_generator_t *g, uint32_t lo, uint32_t hi)
{
    return lo + rnd_below(g, hi - lo + 1);
}

/* A bijection on 32 bits (lowbias32), so distinct inputs give distinct
 * outputs: used to make ids that look random yet never repeat. */
static inline uint32_t mix32(uint32_t x)
{
    x ^= x >> 16;
    x *= 0x7feb352dU;
    x ^= x >> 15;
    x *= 0x846ca68bU;
    x ^= x >> 16;
    return x;
}

/* ---- small formatters -------------------------------------------------- */

static const char hexdig[] = "0123456789ABCDEF";

static char *put_hex32(char *p, uint32_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = hexdig[v & 0xf];
        v >>= 4;
    }
    return p + 8;
}

/* Decimal, zero-padded to at least width digits. */
static char *put_dec(char *p, uint64_t v, int width)
{
    char tmp[20];
    char *t = tmp + sizeof(tmp);
    do {
        *--t = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    size_t n = (size_t)(tmp + sizeof(tmp) - t);
    for (size_t i = n; i < (size_t)width; i++)
        *p++ = '0';
    memcpy(p, t, n);
    return p + n;
}

static void set_key_prefixed_hex(ls_generator_t *g, const char *prefix,
                                 uint32_t v)
{
    size_t pl = strlen(prefix);
    memcpy(g->key, prefix, pl);
    char *e = put_hex32(g->key + pl, v);
    *e = '\0';
    g->key_len = (size_t)(e - g->key);
}

/* Howard Hinnant's days-to-civil for the proleptic Gregorian calendar. */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

#define MS_PER_DAY 86400000LL

static void format_timestamp(ls_generator_t *g)
{
    int64_t day = g->ts / MS_PER_DAY;
    int64_t rem = g->ts % MS_PER_DAY;
    if (rem < 0) {
        rem += MS_PER_DAY;
        day--;
    }
    if (day != g->date_day || g->date_len == 0) {
        int64_t y;
        unsigned m, d;
        civil_from_days(day, &y, &m, &d);
        int n = snprintf(g->date, sizeof(g->date), "%04" PRId64 "-%02u-%02u",
                         y, m, d);
        g->date_len = n > 0 && (size_t)n < sizeof(g->date) ? (size_t)n : 0;
        g->date_day = day;
    }
    unsigned ms = (unsigned)rem;
    char *p = g->tsbuf;
    memcpy(p, g->date, g->date_len);
    p += g->date_len;
    *p++ = 'T';
    p = put_dec(p, ms / 3600000u, 2);
    *p++ = ':';
    p = put_dec(p, ms / 60000u % 60u, 2);
    *p++ = ':';
    p = put_dec(p, ms / 1000u % 60u, 2);
    *p++ = '.';
    p = put_dec(p, ms % 1000u, 3);
    *p++ = 'Z';
    *p = '\0';
}

static int64_t wall_clock_ms(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
        return 0;
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- JSON builder ------------------------------------------------------
 * Fields are appended into the handle's buffer with one bounds check per
 * field; the buffer grows only if ever needed (its initial size is
 * several times the longest event).  If growing fails the event becomes
 * "{}" rather than truncated JSON. */

/* The write cursor with room for n more bytes plus a NUL, or NULL. */
static char *room(ls_generator_t *g, size_t n)
{
    if (g->oom)
        return NULL;
    if (g->cap - g->len <= n) {
        size_t ncap = g->cap * 2;
        while (ncap - g->len <= n)
            ncap *= 2;
        char *nb = realloc(g->buf, ncap);
        if (!nb) {
            g->oom = 1;
            return NULL;
        }
        g->buf = nb;
        g->cap = ncap;
    }
    return g->buf + g->len;
}

/* Worst case of a field's name and punctuation: ,"name": */
#define NAME_ROOM(nl) ((nl) + 4)
/* Worst case of a printed uint64 (20 digits) plus sign and point. */
#define NUM_ROOM 48

/* Write `{"name":` for the first field, `,"name":` for the others. */
static char *put_name(const ls_generator_t *g, char *p, const char *name,
                      size_t nl)
{
    *p++ = g->len ? ',' : '{';
    *p++ = '"';
    memcpy(p, name, nl);
    p += nl;
    *p++ = '"';
    *p++ = ':';
    return p;
}

/* A JSON string body, escaped; needs up to 6 * n bytes. */
static char *put_escaped(char *p, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') {
            *p++ = (char)c;
        } else if (c == '"' || c == '\\') {
            *p++ = '\\';
            *p++ = (char)c;
        } else {
            memcpy(p, "\\u00", 4);
            p[4] = hexdig[c >> 4];
            p[5] = hexdig[c & 0xf];
            p += 6;
        }
    }
    return p;
}

static void commit(ls_generator_t *g, const char *p)
{
    g->len = (size_t)(p - g->buf);
}

/* "name":"<a>", or "name":"<a> <b>" when b is not NULL. */
static void field_str2(ls_generator_t *g, const char *name, const char *a,
                       const char *b)
{
    size_t nl = strlen(name), al = strlen(a), bl = b ? strlen(b) : 0;
    char *p = room(g, NAME_ROOM(nl) + 6 * (al + bl) + 3);
    if (!p)
        return;
    p = put_name(g, p, name, nl);
    *p++ = '"';
    p = put_escaped(p, a, al);
    if (b) {
        *p++ = ' ';
        p = put_escaped(p, b, bl);
    }
    *p++ = '"';
    commit(g, p);
}

static void field_str(ls_generator_t *g, const char *name, const char *v)
{
    field_str2(g, name, v, NULL);
}

/* "name":"<prefix><v zero-padded to width>" */
static void field_id(ls_generator_t *g, const char *name, const char *prefix,
                     uint64_t v, int width)
{
    size_t nl = strlen(name), pl = strlen(prefix);
    char *p = room(g, NAME_ROOM(nl) + 6 * pl + NUM_ROOM + (size_t)width);
    if (!p)
        return;
    p = put_name(g, p, name, nl);
    *p++ = '"';
    p = put_escaped(p, prefix, pl);
    p = put_dec(p, v, width);
    *p++ = '"';
    commit(g, p);
}

/* "name":<v / 10^places with exactly `places` decimals> (places <= 6). */
static void field_fixed(ls_generator_t *g, const char *name, int64_t v,
                        int places)
{
    static const uint64_t pow10[] = {1, 10, 100, 1000, 10000, 100000,
                                     1000000};
    uint64_t a = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    size_t nl = strlen(name);
    char *p = room(g, NAME_ROOM(nl) + NUM_ROOM);
    if (!p)
        return;
    p = put_name(g, p, name, nl);
    if (v < 0)
        *p++ = '-';
    p = put_dec(p, a / pow10[places], 1);
    if (places > 0) {
        *p++ = '.';
        p = put_dec(p, a % pow10[places], places);
    }
    commit(g, p);
}

static void field_u(ls_generator_t *g, const char *name, uint64_t v)
{
    size_t nl = strlen(name);
    char *p = room(g, NAME_ROOM(nl) + NUM_ROOM);
    if (!p)
        return;
    p = put_name(g, p, name, nl);
    commit(g, put_dec(p, v, 1));
}

static void field_cents(ls_generator_t *g, const char *name, uint64_t cents)
{
    if (cents > INT64_MAX)
        cents = INT64_MAX;
    field_fixed(g, name, (int64_t)cents, 2);
}

static void json_begin(ls_generator_t *g)
{
    g->len = 0;
    g->oom = 0;
}

static void json_end(ls_generator_t *g)
{
    char *p = room(g, 1);
    if (p) {
        *p++ = '}';
        commit(g, p);
    } else {
        memcpy(g->buf, "{}", 2); /* cap is never below BUF_INITIAL */
        g->len = 2;
    }
    g->buf[g->len] = '\0';
}

/* A price in [min_usd, max_usd) dollars with a retail-style ending. */
static uint32_t retail_cents(ls_generator_t *g, uint32_t min_usd,
                             uint32_t max_usd)
{
    static const uint8_t endings[] = {99, 99, 95, 49, 0, 50};
    uint32_t usd = rnd_range(g, min_usd, max_usd - 1);
    return usd * 100 + endings[rnd_below(g, sizeof(endings))];
}

/* VIN: WMI, 5 descriptor chars, check digit, model year, plant, serial.
 * Alphabet without I, O, Q; position 9 is the ISO 3779 check digit. */
static const char vin_alpha[] = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789";
#define VIN_ALPHA_N 33u

static unsigned vin_value(char c)
{
    static const unsigned letters[26] = {
        1, 2, 3, 4, 5, 6, 7, 8, 0, 1, 2, 3, 4, 5, 0, 7, 0, 9, 2, 3, 4, 5, 6, 7,
        8, 9};
    if (c >= '0' && c <= '9')
        return (unsigned)(c - '0');
    return letters[c - 'A'];
}

static void make_vin(char out[18], const char *wmi, const char *years,
                     uint64_t r1, uint64_t r2)
{
    static const unsigned weights[17] = {8, 7, 6, 5, 4, 3, 2, 10, 0,
                                         9, 8, 7, 6, 5, 4, 3, 2};
    memcpy(out, wmi, 3);
    for (int i = 3; i < 8; i++) {
        out[i] = vin_alpha[r1 % VIN_ALPHA_N];
        r1 /= VIN_ALPHA_N;
    }
    size_t ny = strlen(years);
    out[9] = years[r1 % ny];
    r1 /= ny;
    out[10] = vin_alpha[r1 % VIN_ALPHA_N];
    put_dec(out + 11, r2 % 1000000u, 6);
    out[8] = '0';
    unsigned sum = 0;
    for (int i = 0; i < 17; i++)
        sum += vin_value(out[i]) * weights[i];
    sum %= 11;
    out[8] = sum == 10 ? 'X' : (char)('0' + sum);
    out[17] = '\0';
}

/* ---- renderers --------------------------------------------------------- */

static void render_orders(ls_generator_t *g)
{
    const product_t *p = &products[rnd_below(g, N_PRODUCTS)];
    uint32_t qty = rnd_range(g, 1, 5);
    uint32_t price = retail_cents(g, p->min_usd, p->max_usd);
    uint64_t total = (uint64_t)qty * price;
    uint32_t cust = rnd_range(g, 1, N_CUSTOMERS);
    uint32_t h = mix32(cust ^ g->tag); /* a customer keeps one name */

    char *k = g->key;
    memcpy(k, "ORD-", 4);
    k = put_dec(k + 4, g->tag % 10000, 4); /* ORD- + digits only */
    k = put_dec(k, g->seq + 1, 8);
    *k = '\0';
    g->key_len = (size_t)(k - g->key);

    json_begin(g);
    field_str(g, "order_id", g->key);
    field_id(g, "customer_id", "CUST-", cust, 5);
    field_str2(g, "customer", first_names[h % N_FIRST],
               last_names[(h >> 16) % N_LAST]);
    field_str(g, "product_id", p->id);
    field_str(g, "product", p->name);
    field_str(g, "category", p->category);
    field_u(g, "quantity", qty);
    field_cents(g, "price", price);
    field_cents(g, "total", total);
    field_str(g, "currency", "USD");
    field_str(g, "timestamp", g->tsbuf);
    json_end(g);
}

static void render_clicks(ls_generator_t *g)
{
    static const char *const actions[] = {"view", "click", "add_to_cart",
                                          "purchase"};
    const product_t *p = &products[rnd_below(g, N_PRODUCTS)];
    uint32_t price = retail_cents(g, p->min_usd, p->max_usd);
    uint32_t user = rnd_range(g, 10000, 10000 + N_USERS - 1);
    uint32_t a = rnd_below(g, 100);
    const char *action = a < 55   ? actions[0]
                         : a < 80 ? actions[1]
                         : a < 93 ? actions[2]
                                  : actions[3];
    const char *bucket = price < 5000     ? "low"
                         : price <= 20000 ? "medium"
                                          : "high";

    set_key_prefixed_hex(g, "CLK-", mix32((uint32_t)g->seq ^ g->tag));
    json_begin(g);
    field_str(g, "event_id", g->key);
    field_id(g, "user_id", "USER-", user, 5);
    field_str(g, "product_id", p->id);
    field_str(g, "product", p->name);
    field_str(g, "category", p->category);
    field_cents(g, "price", price);
    field_str(g, "price_bucket", bucket);
    field_str(g, "action", action);
    field_str(g, "timestamp", g->tsbuf);
    json_end(g);
}

/* Common head of ERP/CRM events: event_type, event_id, timestamp. */
static void erp_begin(ls_generator_t *g)
{
    json_begin(g);
    field_str(g, "event_type", kind_info[g->cur].name);
    field_str(g, "event_id", g->key);
    field_str(g, "timestamp", g->tsbuf);
}

static void render_sales(ls_generator_t *g)
{
    const car_model_t *m = &car_models[rnd_below(g, N_CAR_MODELS)];
    unsigned di = rnd_below(g, N_DEALERS);
    uint64_t amount = (uint64_t)rnd_range(g, m->min_eur, m->max_eur) * 100 +
                      rnd_below(g, 100);
    uint32_t cust = rnd_range(g, 1, N_CUSTOMERS);
    uint64_t r1 = rnd64(g), r2 = rnd64(g);
    char vin[18];
    make_vin(vin, m->wmi, "RST", r1, r2);

    erp_begin(g);
    field_str(g, "vin", vin);
    field_id(g, "customer_id", "CUST-", cust, 5);
    field_str(g, "model", m->name);
    field_cents(g, "amount", amount);
    field_str(g, "currency", dealers[di].currency);
    field_str(g, "dealer", dealers[di].name);
    json_end(g);
}

static void render_payments(ls_generator_t *g)
{
    unsigned mi = rnd_below(g, N_PAY_METHODS);
    uint64_t amount = (uint64_t)rnd_range(g, pay_methods[mi].min_eur,
                                          pay_methods[mi].max_eur) *
                          100 +
                      rnd_below(g, 100);
    uint32_t cust = rnd_range(g, 1, N_CUSTOMERS);
    uint64_t ref = rnd64(g) % 10000000000ULL;
    uint32_t s = rnd_below(g, 100);
    const char *status = s < 85   ? "completed"
                         : s < 93 ? "pending"
                         : s < 98 ? "failed"
                                  : "refunded";
    const char *cur = currencies3[rnd_below(g, N_CURRENCIES)];

    erp_begin(g);
    field_id(g, "payment_ref", "REF-", ref, 10);
    field_id(g, "customer_id", "CUST-", cust, 5);
    field_cents(g, "amount", amount);
    field_str(g, "currency", cur);
    field_str(g, "method", pay_methods[mi].method);
    field_str(g, "status", status);
    json_end(g);
}

static void render_interactions(ls_generator_t *g)
{
    unsigned ci = rnd_below(g, N_CHANNELS);
    uint32_t cust = rnd_range(g, 1, N_CUSTOMERS);
    const char *type = interaction_types[rnd_below(g, N_ITYPES)];
    const char *agent = agents[rnd_below(g, N_AGENTS)];
    uint32_t dur = rnd_range(g, channels[ci].min_s, channels[ci].max_s);

    erp_begin(g);
    field_id(g, "customer_id", "CUST-", cust, 5);
    field_str(g, "channel", channels[ci].channel);
    field_str(g, "type", type);
    field_str(g, "agent", agent);
    field_u(g, "duration_s", dur);
    json_end(g);
}

static void render_inventory(ls_generator_t *g)
{
    const part_t *p = &parts[rnd_below(g, N_PARTS)];
    const char *wh = warehouses[rnd_below(g, N_WAREHOUSES)];
    uint32_t stock = rnd_below(g, p->reorder_point * 6 + 1);

    erp_begin(g);
    field_str(g, "sku", p->sku);
    field_str(g, "part", p->name);
    field_str(g, "warehouse", wh);
    field_u(g, "stock_level", stock);
    field_u(g, "reorder_point", p->reorder_point);
    json_end(g);
}

static void render_procurement(ls_generator_t *g)
{
    const part_t *p = &parts[rnd_below(g, N_PARTS)];
    const char *sup = suppliers[rnd_below(g, N_SUPPLIERS)];
    uint32_t qty = rnd_range(g, 1, 50) * 10;
    uint32_t unit = rnd_range(g, p->min_cents, p->max_cents);
    uint64_t total = (uint64_t)qty * unit;
    uint32_t po = rnd_below(g, 100000000u);

    erp_begin(g);
    field_id(g, "po_number", "PO-", po, 8);
    field_str(g, "supplier", sup);
    field_str(g, "sku", p->sku);
    field_str(g, "part", p->name);
    field_u(g, "quantity", qty);
    field_cents(g, "unit_cost", unit);
    field_cents(g, "total_cost", total);
    field_str(g, "currency", "EUR");
    json_end(g);
}

static void render_telemetry(ls_generator_t *g)
{
    /* A fixed fleet per seed: a vehicle keeps its VIN and home city. */
    uint32_t veh = rnd_below(g, N_FLEET);
    uint64_t vs = g->tag64 ^ ((uint64_t)veh * 0xd1342543de82ef95ULL);
    uint64_t h = splitmix64(&vs);
    const car_model_t *m = &car_models[h % N_CAR_MODELS];
    unsigned city = (unsigned)((h >> 32) % N_CITIES);
    uint64_t r1 = splitmix64(&vs), r2 = splitmix64(&vs);
    char vin[18];
    make_vin(vin, m->wmi, "JKLMNPRST", r1, r2);

    int32_t lat = cities[city].lat +
                  (int32_t)rnd_below(g, 2 * CITY_SPREAD_UDEG + 1) -
                  CITY_SPREAD_UDEG;
    int32_t lon = cities[city].lon +
                  (int32_t)rnd_below(g, 2 * CITY_SPREAD_UDEG + 1) -
                  CITY_SPREAD_UDEG;
    int moving = rnd_below(g, 100) >= 15;
    uint32_t speed = moving ? rnd_range(g, 50, 1600) : 0; /* tenths */
    uint32_t fuel = rnd_range(g, 30, 1000);                /* tenths */
    uint32_t temp = moving ? rnd_range(g, 780, 1080)       /* tenths */
                           : rnd_range(g, 150, 950);

    erp_begin(g);
    field_str(g, "vin", vin);
    field_fixed(g, "lat", lat, 6);
    field_fixed(g, "lon", lon, 6);
    field_fixed(g, "speed_kmh", speed, 1);
    field_fixed(g, "fuel_pct", fuel, 1);
    field_fixed(g, "engine_temp_c", temp, 1);
    json_end(g);
}

/* ---- public API -------------------------------------------------------- */

ls_error_t *ls_generator_new(ls_generator_t **out, const char *kind,
                             uint64_t seed)
{
    if (!out)
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "ls_generator_new: out must not be NULL");
    *out = NULL;
    if (!kind)
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "ls_generator_new: kind must not be NULL: "
                            "expected one of " KINDS_LIST);
    int k = -1;
    for (int i = 0; i < K__COUNT; i++) {
        if (strcmp(kind, kind_info[i].name) == 0) {
            k = i;
            break;
        }
    }
    if (k < 0)
        return ls_error_new(LS_ERR_INVALID_ARG,
                            "unknown generator kind \"%.200s\": expected one "
                            "of " KINDS_LIST,
                            kind);

    ls_generator_t *g = calloc(1, sizeof(*g));
    if (!g)
        return ls_error_new(LS_ERR_NOMEM, "ls_generator_new: out of memory");
    g->buf = malloc(BUF_INITIAL);
    if (!g->buf) {
        free(g);
        return ls_error_new(LS_ERR_NOMEM, "ls_generator_new: out of memory");
    }
    g->cap = BUF_INITIAL;
    g->buf[0] = '\0';
    g->kind = (kind_t)k;
    g->cur = g->kind == K_ERP ? ERP_FIRST : g->kind;

    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        g->s[i] = splitmix64(&x);
    g->tag64 = splitmix64(&x);
    g->tag = (uint32_t)g->tag64;
    *out = g;
    return NULL;
}

void ls_generator_set_clock(ls_generator_t *g, int64_t start_ms,
                            int64_t step_ms)
{
    if (!g)
        return;
    g->clock_set = 1;
    g->next_ms = start_ms;
    g->step_ms = step_ms;
}

void ls_generator_next(ls_generator_t *g)
{
    if (!g)
        return;
    if (g->clock_set) {
        g->ts = g->next_ms;
        /* Wrap instead of overflowing a signed integer. */
        g->next_ms = (int64_t)((uint64_t)g->next_ms + (uint64_t)g->step_ms);
    } else {
        g->ts = wall_clock_ms();
    }
    format_timestamp(g);

    g->cur = g->kind == K_ERP ? (kind_t)(ERP_FIRST + g->seq % ERP_COUNT)
                              : g->kind;
    if (g->cur >= K_SALES && g->cur <= K_TELEMETRY)
        set_key_prefixed_hex(g, kind_info[g->cur].prefix,
                             mix32((uint32_t)g->seq ^ g->tag));

    switch (g->cur) {
    case K_ORDERS: render_orders(g); break;
    case K_CLICKS: render_clicks(g); break;
    case K_SALES: render_sales(g); break;
    case K_PAYMENTS: render_payments(g); break;
    case K_INTERACTIONS: render_interactions(g); break;
    case K_INVENTORY: render_inventory(g); break;
    case K_PROCUREMENT: render_procurement(g); break;
    case K_TELEMETRY: render_telemetry(g); break;
    case K_ERP:
    case K__COUNT: break;
    }
    g->seq++;
}

const char *ls_generator_value(const ls_generator_t *g, size_t *len)
{
    if (!g) {
        if (len)
            *len = 0;
        return "";
    }
    if (len)
        *len = g->len;
    return g->buf;
}

const char *ls_generator_key(const ls_generator_t *g, size_t *len)
{
    if (!g) {
        if (len)
            *len = 0;
        return "";
    }
    if (len)
        *len = g->key_len;
    return g->key;
}

const char *ls_generator_topic(const ls_generator_t *g)
{
    return g ? kind_info[g->cur].topic : "";
}

int64_t ls_generator_timestamp(const ls_generator_t *g)
{
    return g ? g->ts : 0;
}

const char *ls_generator_kinds(void) { return KINDS_LIST; }

void ls_generator_destroy(ls_generator_t *g)
{
    if (!g)
        return;
    free(g->buf);
    free(g);
}
