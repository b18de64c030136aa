package io.loupe.query.api.internal;

import io.loupe.model.Labels;
import io.loupe.model.Series;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.PriorityQueue;

/**
 * The union of several label-sorted series iterators, sorted and without duplicates: {@code /api/v1/series} with
 * several {@code match[]} streams its answer from this without collecting the sets first.
 */
public final class MergedLabels implements Iterator<Labels> {
  private record Head(Labels labels, Iterator<Series> rest) {}

  private final PriorityQueue<Head> heads = new PriorityQueue<>((a, b) -> a.labels.compareTo(b.labels));
  private Labels last;
  private Labels next;

  public MergedLabels(List<Iterator<Series>> sorted) {
    for (Iterator<Series> it : sorted) {
      advance(it);
    }
  }

  private void advance(Iterator<Series> it) {
    if (it.hasNext()) {
      heads.add(new Head(it.next().labels(), it));
    }
  }

  @Override
  public boolean hasNext() {
    while (next == null && !heads.isEmpty()) {
      Head h = heads.poll();
      advance(h.rest);
      if (last == null || !last.equals(h.labels)) {
        next = h.labels;
      }
    }
    return next != null;
  }

  @Override
  public Labels next() {
    if (!hasNext()) {
      throw new NoSuchElementException();
    }
    last = next;
    next = null;
    return last;
  }
}
