/* produce: the smallest producer.  Sends each argument after the topic as
 * one message and waits for delivery.
 *
 *   produce BROKERS TOPIC MESSAGE...
 */
#include <stdio.h>
#include <string.h>

#include <libstream/libstream.h>

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: produce BROKERS TOPIC MESSAGE...\n");
        return 2;
    }
    ls_conf_t *conf = ls_conf_new();
    ls_error_t *err = ls_conf_set(conf, "bootstrap.servers", argv[1]);
    ls_producer_t *p = NULL;
    if (!err)
        err = ls_producer_new(&p, conf); /* takes conf on success */
    for (int i = 3; !err && i < argc; i++) {
        ls_message_t m = LS_MESSAGE_INIT;
        m.topic = argv[2];
        m.value = argv[i];
        m.value_len = strlen(argv[i]);
        err = ls_producer_send(p, &m);
    }
    if (!err)
        err = ls_producer_flush(p, 10000);
    uint64_t delivered = 0, failed = 0;
    ls_producer_counts(p, NULL, &delivered, &failed);
    if (err) {
        fprintf(stderr, "produce: %s\n", ls_error_message(err));
        ls_error_destroy(err);
    }
    if (!p)
        ls_conf_destroy(conf);
    ls_producer_destroy(p);
    printf("delivered %llu, failed %llu\n", (unsigned long long)delivered,
           (unsigned long long)failed);
    return err || failed ? 1 : 0;
}
