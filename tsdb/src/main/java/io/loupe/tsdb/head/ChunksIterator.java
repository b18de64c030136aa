package io.loupe.tsdb.head;

import io.loupe.model.SampleIterator;
import io.loupe.tsdb.chunkenc.ChunkIterator;

/**
 * Iterates a series' chunk snapshots (any encoding) in order, limited to {@code [lo, hi]}. The query engine seeks
 * once to the start of its range and then calls {@link #next} to the end, so {@link #seek} skips whole chunks by
 * their max time without decoding them, and each chunk is decoded forward once.
 */
final class ChunksIterator implements SampleIterator {
  private final byte[][] chunks;
  private final long[] maxTs;
  private final long lo;
  private final long hi;
  private final ChunkIterator it = new ChunkIterator();
  private int ci = -1;
  private boolean positioned; // on a valid sample
  private boolean done;

  ChunksIterator(byte[][] chunks, long[] maxTs, long lo, long hi) {
    this.chunks = chunks;
    this.maxTs = maxTs;
    this.lo = lo;
    this.hi = hi;
  }

  @Override
  public boolean next() {
    if (!positioned) {
      return !done && seekFrom(lo);
    }
    while (!it.next()) {
      if (!nextChunk()) {
        return false;
      }
    }
    if (it.timestamp() > hi) {
      return finish();
    }
    return true;
  }

  @Override
  public boolean seek(long t) {
    if (done) {
      return false;
    }
    if (positioned && it.timestamp() >= t) {
      return true;
    }
    return seekFrom(Math.max(t, lo));
  }

  private boolean seekFrom(long t) {
    if (ci < 0 || maxTs[ci] < t) {
      // skip whole chunks that end before t
      int c = Math.max(ci + 1, 0);
      while (c < chunks.length && maxTs[c] < t) {
        c++;
      }
      if (c >= chunks.length) {
        return finish();
      }
      ci = c;
      it.reset(chunks[ci]);
    }
    if (it.seek(t)) {
      return check();
    }
    // cannot happen (maxTs[ci] >= t), but stay correct if a chunk disagrees with its maxT
    while (nextChunk()) {
      if (it.seek(t)) {
        return check();
      }
    }
    return false;
  }

  private boolean nextChunk() {
    if (ci + 1 >= chunks.length) {
      finish();
      return false;
    }
    ci++;
    it.reset(chunks[ci]);
    return true;
  }

  private boolean check() {
    if (it.timestamp() > hi) {
      return finish();
    }
    positioned = true;
    return true;
  }

  private boolean finish() {
    done = true;
    positioned = false;
    return false;
  }

  @Override
  public long timestamp() {
    if (!positioned) {
      throw new IllegalStateException("iterator not positioned on a sample");
    }
    return it.timestamp();
  }

  @Override
  public double value() {
    if (!positioned) {
      throw new IllegalStateException("iterator not positioned on a sample");
    }
    return it.value();
  }
}
