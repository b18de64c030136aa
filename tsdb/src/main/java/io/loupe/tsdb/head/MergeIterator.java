package io.loupe.tsdb.head;

import io.loupe.model.SampleIterator;

/**
 * Merges the iterators of one series from several sources (blocks, head) in time order; on equal timestamps the
 * earliest source wins and the others are skipped, so data briefly present in both a new block and the head is read
 * once.
 */
final class MergeIterator implements SampleIterator {
  private final SampleIterator[] its;
  private final boolean[] has;
  private boolean started;
  private boolean positioned;
  private long t;
  private double v;

  MergeIterator(SampleIterator[] its) {
    this.its = its;
    this.has = new boolean[its.length];
  }

  @Override
  public boolean next() {
    if (!started) {
      started = true;
      for (int i = 0; i < its.length; i++) {
        has[i] = its[i].next();
      }
    } else if (positioned) {
      for (int i = 0; i < its.length; i++) {
        if (has[i] && its[i].timestamp() == t) {
          has[i] = its[i].next();
        }
      }
    } else {
      return false;
    }
    return pick();
  }

  @Override
  public boolean seek(long target) {
    if (positioned && t >= target) {
      return true;
    }
    if (started && !positioned) {
      return false;
    }
    started = true;
    for (int i = 0; i < its.length; i++) {
      has[i] = its[i].seek(target);
    }
    return pick();
  }

  private boolean pick() {
    int best = -1;
    for (int i = 0; i < its.length; i++) {
      if (has[i] && (best < 0 || its[i].timestamp() < its[best].timestamp())) {
        best = i;
      }
    }
    positioned = best >= 0;
    if (positioned) {
      t = its[best].timestamp();
      v = its[best].value();
    }
    return positioned;
  }

  @Override
  public long timestamp() {
    return t;
  }

  @Override
  public double value() {
    return v;
  }
}
