package io.loupe.tsdb.head;

import io.loupe.model.Exemplar;

/** A fixed-size ring of exemplars of one tenant in one shard; when full the oldest is overwritten. */
final class ExemplarRing {
  private final int[] refs;
  private final Exemplar[] exemplars;
  private int next;
  private int size;

  ExemplarRing(int capacity) {
    refs = new int[capacity];
    exemplars = new Exemplar[capacity];
  }

  void add(int ref, Exemplar e) {
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
