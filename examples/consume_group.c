/* consume_group: read a topic in a consumer group to its end, print each
 * value, commit what was printed.
 *
 *   consume_group BROKERS TOPIC GROUP
 */
#include <stdio.h>

#include <libstream/libstream.h>

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: consume_group BROKERS TOPIC GROUP\n");
        return 2;
    }
    ls_conf_t *conf = ls_conf_new();
    ls_consumer_t *c = NULL;
    ls_error_t *err = ls_conf_set(conf, "bootstrap.servers", argv[1]);
    if (!err)
        err = ls_conf_set(conf, "group.id", argv[3]);
    if (!err)
        err = ls_conf_set(conf, "consumer.stop.at.end", "true");
    if (!err)
        err = ls_consumer_new(&c, conf);
    if (err) {
        fprintf(stderr, "consume_group: %s\n", ls_error_message(err));
        ls_error_destroy(err);
        ls_conf_destroy(conf);
        return 2;
    }
    const char *topics[] = {argv[2]};
    err = ls_consumer_subscribe(c, topics, 1);
    long n = 0;
    while (!err && !ls_consumer_at_end(c)) {
        ls_event_t *evs[100];
        size_t cnt;
        err = ls_consumer_poll(c, evs, 100, 1000, &cnt);
        if (err && ls_error_is_retriable(err)) {
            ls_error_destroy(err);
            err = NULL;
        }
        for (size_t i = 0; i < cnt; i++) {
            size_t len;
            const char *v = ls_event_value(evs[i], &len);
            printf("%.*s\n", (int)len, v ? v : "");
            ls_error_destroy(ls_consumer_store(c, evs[i]));
            ls_event_destroy(evs[i]);
            n++;
        }
    }
    if (!err)
        err = ls_consumer_commit_stored(c, 0);
    ls_consumer_destroy(c);
    fprintf(stderr, "consume_group: %ld message(s)%s%s\n", n,
            err ? ": " : "", err ? ls_error_message(err) : "");
    int rc = err ? 1 : 0;
    ls_error_destroy(err);
    return rc;
}
