/* libstream: umbrella header.  Move event streams between Kafka, HDFS
 * and S3.  See docs/ and each concept's header. */
#ifndef LIBSTREAM_H
#define LIBSTREAM_H

#include "common.h"
#include "version.h"
#include "global.h"
#include "error.h"
#include "conf.h"
#include "event.h"
#include "producer.h"
#include "consumer.h"
#include "broker.h"
#include "generator.h"
#include "channel.h"
#include "template.h"
#include "backend.h"
#include "writer.h"
#include "sigv4.h"
#include "csv.h"
#include "webhdfs.h"
#include "archiver.h"
#include "s3.h"
#include "s3sink.h"
#include "lag.h"
#include "httpsrc.h"
#include "tail.h"
#include "metrics.h"
#include "monitor.h"

#endif
