package io.loupe.tsdb.head;

import io.loupe.model.Exemplar;

/**
 * A bounded ring of exemplars of one tenant in one shard; when full the oldest is overwritten. Grows by doubling up
 * to its capacity, so tenants that send few exemplars do not each hold a full-size ring per shard.
 */
final class ExemplarRing {
  private final int capacity;
  private int[] refs;
  private Exemplar[] exemplars;
  private int next;
  private int size;

  ExemplarRing(int capacity) {
    this.capacity = capacity;
    int initial = Math.min(capacity, 16);
    refs = new int[initial];
    exemplars = new Exemplar[initial];
  }

  void add(int ref, Exemplar e) {
    if (size == refs.length && refs.length < capacity) {
      // not wrapped yet while growing: entries are 0..size-1 in order
      int n = Math.min(capacity, refs.length * 2);
      refs = java.util.Arrays.copyOf(refs, n);
      exemplars = java.util.Arrays.copyOf(exemplars, n);
      next = size;
    }
    refs[next] = ref;
    exemplars[next] = e;
    next = (next + 1) % refs.length;
    if (size < refs.length) {
      size++;
    }
  }

  int size() {
    return size;
  }

  interface Visitor {
    void accept(int ref, Exemplar e);
  }

  /** Oldest first. */
  void forEach(Visitor v) {
    int start = (next - size + refs.length) % refs.length;
    for (int i = 0; i < size; i++) {
      int j = (start + i) % refs.length;
      v.accept(refs[j], exemplars[j]);
    }
  }
}
