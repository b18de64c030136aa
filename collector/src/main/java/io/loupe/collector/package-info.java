/**
 * The receivers: OTLP over gRPC and HTTP (protobuf and JSON) and Prometheus remote write, with translation of OTLP
 * metrics to Prometheus series, request limits and backpressure. {@link io.loupe.collector.Collector} is the entry
 * point; {@code otlp} and {@code remotewrite} hold the codecs; {@code internal} the services.
 */
package io.loupe.collector;
