/**
 * JMH benchmarks of the in-process hot paths: OTLP and remote-write decoding, XOR chunks, head + WAL appends, series
 * selection, PromQL evaluation and span indexing. Each runs in under a minute with its defaults:
 * {@code java -cp load-tests/target/loupe-load-tests.jar org.openjdk.jmh.Main 'io.loupe.loadtests.jmh.*'}
 * (see docs/benchmarks.md, section JMH, for the figures measured).
 */
package io.loupe.loadtests.jmh;
