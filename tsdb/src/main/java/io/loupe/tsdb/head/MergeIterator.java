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
  private final long[] ts; // current timestamp of each source that has one
  private boolean started;
  private boolean positioned;
  private int best;
  private long second; // smallest current timestamp of the sources other than best
  private long t;
  private double v;

  MergeIterator(SampleIterator[] its) {
    this.its = its;
    this.has = new boolean[its.length];
    this.ts = new long[its.length];
  }

  @Override
  public boolean next() {
    if (!started) {
      started = true;
      for (int i = 0; i < its.length; i++) {
        load(i, its[i].next());
      }
      return pick();
    }
    if (!positioned) {
      return false;
    }
    if (second > t) {
      // Blocks are disjoint in time and the head follows them, so sources rarely interleave: while the current source
      // stays below all others only it advances, without comparing every source per sample.
      SampleIterator b = its[best];
      if (b.next()) {
        long nt = b.timestamp();
        ts[best] = nt;
        if (nt < second) {
          t = nt;
          v = b.value();
          return true;
        }
      } else {
        has[best] = false;
      }
      return pick();
    }
    for (int i = 0; i < its.length; i++) {
      if (has[i] && ts[i] == t) {
        load(i, its[i].next());
      }
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
      load(i, its[i].seek(target));
    }
    return pick();
  }

  private void load(int i, boolean ok) {
    has[i] = ok;
    if (ok) {
      ts[i] = its[i].timestamp();
    }
  }

  private boolean pick() {
    int b = -1;
    for (int i = 0; i < its.length; i++) {
      if (has[i] && (b < 0 || ts[i] < ts[b])) {
        b = i;
      }
    }
    positioned = b >= 0;
    if (positioned) {
      long s = Long.MAX_VALUE;
      for (int i = 0; i < its.length; i++) {
        if (i != b && has[i] && ts[i] < s) {
          s = ts[i];
        }
      }
      best = b;
      second = s;
      t = ts[b];
      v = its[b].value();
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
