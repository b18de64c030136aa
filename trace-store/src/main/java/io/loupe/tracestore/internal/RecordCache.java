package io.loupe.tracestore.internal;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Parsed records (inflated body, dictionary, resources) by (segment reader, offset), least recently used first out,
 * bounded by bytes. A record holds the spans of one write, many traces: the candidates of one search, and the traces a
 * user opens from its result, are often in the same few records, which then cost one read and one inflate. Thread-safe.
 */
public final class RecordCache {
  private record Key(SegmentReader reader, long offset) {}

  private final long maxBytes;
  private final LinkedHashMap<Key, SpanCodec.Parsed> map = new LinkedHashMap<>(64, 0.75f, true);
  private long bytes;

  public RecordCache(long maxBytes) {
    this.maxBytes = maxBytes;
  }

  public synchronized SpanCodec.Parsed get(SegmentReader r, long offset) {
    return map.get(new Key(r, offset));
  }

  public synchronized void put(SegmentReader r, long offset, SpanCodec.Parsed p) {
    if (p.weight() > maxBytes / 4) {
      return; // one huge record would flush everything else
    }
    SpanCodec.Parsed old = map.put(new Key(r, offset), p);
    bytes += p.weight() - (old == null ? 0 : old.weight());
    for (Iterator<Map.Entry<Key, SpanCodec.Parsed>> it = map.entrySet().iterator(); bytes > maxBytes && it.hasNext();) {
      bytes -= it.next().getValue().weight();
      it.remove();
    }
  }
}
