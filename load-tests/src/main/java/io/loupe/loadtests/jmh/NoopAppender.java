package io.loupe.loadtests.jmh;

import io.loupe.model.AppendResult;
import io.loupe.model.Appender;
import io.loupe.model.Exemplar;
import io.loupe.model.Labels;
import io.loupe.model.MetricMetadata;
import org.openjdk.jmh.infra.Blackhole;

/**
 * An appender that stores nothing, so a decode benchmark measures the decoder alone. Every argument goes to a
 * {@link Blackhole} so the JIT cannot drop the work that produced it.
 */
final class NoopAppender implements Appender {
  private final Blackhole bh;
  private long samples;

  NoopAppender(Blackhole bh) {
    this.bh = bh;
  }

  @Override
  public void append(Labels labels, long timestampMs, double value) {
    bh.consume(labels);
    bh.consume(timestampMs);
    bh.consume(value);
    samples++;
  }

  @Override
  public void appendExemplar(Labels labels, Exemplar exemplar) {
    bh.consume(labels);
    bh.consume(exemplar);
  }

  @Override
  public void updateMetadata(MetricMetadata metadata) {
    bh.consume(metadata);
  }

  @Override
  public AppendResult commit() {
    AppendResult r = new AppendResult(samples, java.util.Map.of(), "");
    samples = 0;
    return r;
  }

  @Override
  public void rollback() {
    samples = 0;
  }
}
