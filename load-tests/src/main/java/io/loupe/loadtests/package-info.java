/**
 * Load generators for a Loupe node: {@link io.loupe.loadtests.RemoteWriteLoad} (Prometheus remote write) and
 * {@link io.loupe.loadtests.OtlpLoad} (OTLP metrics and traces over HTTP or gRPC). Each pre-encodes its whole workload,
 * sends it with a fixed concurrency, shows live rates and prints a {@link io.loupe.loadtests.LoadReport}.
 */
package io.loupe.loadtests;
