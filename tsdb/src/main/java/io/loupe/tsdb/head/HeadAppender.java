package io.loupe.tsdb.head;

import static java.util.Objects.requireNonNull;

import io.loupe.model.AppendResult;
import io.loupe.model.Appender;
import io.loupe.model.Exemplar;
import io.loupe.model.Labels;
import io.loupe.model.MetricMetadata;
import io.loupe.model.Tenant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Buffers one tenant's points and commits them shard by shard. One per request; not thread-safe. */
final class HeadAppender implements Appender {
  /** The buffered points, in arrival order. */
  static final class Batch {
    Labels[] labels = new Labels[64];
    long[] ts = new long[64];
    double[] values = new double[64];
    int n;
    final ArrayList<Labels> exLabels = new ArrayList<>();
    final ArrayList<Exemplar> exemplars = new ArrayList<>();
    final ArrayList<MetricMetadata> metadata = new ArrayList<>();

    void clear() {
      Arrays.fill(labels, 0, n, null);
      n = 0;
      exLabels.clear();
      exemplars.clear();
      metadata.clear();
    }
  }

  private final Head head;
  private final Tenant tenant;
  private final long tenantHash;
  // Batches are lent per thread: a request appends ~1000 points, and growing fresh arrays to that size was the largest
  // allocation of the append path (JFR allocation samples; ~50 bytes of garbage per point). Taken on first use,
  // returned emptied by commit or rollback, so an appender used again after commit takes another one.
  private static final ThreadLocal<Batch> SPARE = new ThreadLocal<>();
  private static final int MAX_SPARE_POINTS = 1 << 16; // larger batches are left to the GC, not kept per thread
  private Batch batch;

  HeadAppender(Head head, Tenant tenant) {
    this.head = head;
    this.tenant = tenant;
    this.tenantHash = Head.tenantHash(tenant);
  }

  private Batch batch() {
    Batch b = batch;
    if (b == null) {
      b = SPARE.get();
      if (b != null) {
        SPARE.remove();
      } else {
        b = new Batch();
      }
      batch = b;
    }
    return b;
  }

  private void release() {
    Batch b = batch;
    if (b != null) {
      batch = null;
      b.clear();
      if (b.ts.length <= MAX_SPARE_POINTS) {
        SPARE.set(b);
      }
    }
  }

  @Override
  public void append(Labels labels, long timestampMs, double value) {
    requireNonNull(labels, "labels");
    Batch b = batch();
    if (b.n == b.ts.length) {
      int cap = b.n * 2;
      b.labels = Arrays.copyOf(b.labels, cap);
      b.ts = Arrays.copyOf(b.ts, cap);
      b.values = Arrays.copyOf(b.values, cap);
    }
    b.labels[b.n] = labels;
    b.ts[b.n] = timestampMs;
    b.values[b.n] = value;
    b.n++;
  }

  @Override
  public void appendExemplar(Labels labels, Exemplar exemplar) {
    requireNonNull(labels, "labels");
    requireNonNull(exemplar, "exemplar");
    Batch b = batch();
    b.exLabels.add(labels);
    b.exemplars.add(exemplar);
  }

  @Override
  public void updateMetadata(MetricMetadata metadata) {
    requireNonNull(metadata, "metadata");
    batch().metadata.add(metadata);
  }

  @Override
  public AppendResult commit() {
    try {
      return commitBatch();
    } finally {
      release();
    }
  }

  private AppendResult commitBatch() {
    Batch b = batch();
    int shards = head.shardCount();
    AppendResult.Builder rb = new AppendResult.Builder();
    long[] rejected = new long[io.loupe.model.RejectReason.values().length];
    // Route, then group by shard with a counting sort.
    int[] shardOf = new int[b.n];
    int[] pCount = new int[shards + 1];
    for (int i = 0; i < b.n; i++) {
      if (b.labels[i].isEmpty()) {
        shardOf[i] = -1;
        rb.reject(io.loupe.model.RejectReason.INVALID_LABELS, "series {} has no labels");
        rejected[io.loupe.model.RejectReason.INVALID_LABELS.ordinal()]++;
        continue;
      }
      int s = head.shardFor(tenantHash, b.labels[i]);
      shardOf[i] = s;
      pCount[s + 1]++;
    }
    int ne = b.exemplars.size();
    int[] exShard = new int[ne];
    int[] eCount = new int[shards + 1];
    for (int i = 0; i < ne; i++) {
      if (b.exLabels.get(i).isEmpty()) {
        exShard[i] = -1;
        rb.reject(io.loupe.model.RejectReason.INVALID_EXEMPLAR, "exemplar of a series with no labels");
        rejected[io.loupe.model.RejectReason.INVALID_EXEMPLAR.ordinal()]++;
        continue;
      }
      int s = head.shardFor(tenantHash, b.exLabels.get(i));
      exShard[i] = s;
      eCount[s + 1]++;
    }
    for (int s = 0; s < shards; s++) {
      pCount[s + 1] += pCount[s];
      eCount[s + 1] += eCount[s];
    }
    int[] pts = new int[b.n];
    int[] pFill = Arrays.copyOf(pCount, shards);
    for (int i = 0; i < b.n; i++) {
      if (shardOf[i] >= 0) {
        pts[pFill[shardOf[i]]++] = i;
      }
    }
    int[] exs = new int[ne];
    int[] eFill = Arrays.copyOf(eCount, shards);
    for (int i = 0; i < ne; i++) {
      if (exShard[i] >= 0) {
        exs[eFill[exShard[i]]++] = i;
      }
    }
    List<List<MetricMetadata>> metaByShard = new ArrayList<>(shards);
    for (int s = 0; s < shards; s++) {
      metaByShard.add(new ArrayList<>(0));
    }
    for (MetricMetadata m : b.metadata) {
      metaByShard.get(head.shardForMetadata(tenantHash, m.metricFamily())).add(m);
    }
    long[] syncPos = new long[shards];
    boolean any = false;
    try {
      for (int s = 0; s < shards; s++) {
        int np = pCount[s + 1] - pCount[s];
        int nex = eCount[s + 1] - eCount[s];
        if (np == 0 && nex == 0 && metaByShard.get(s).isEmpty()) {
          syncPos[s] = -1;
          continue;
        }
        syncPos[s] = head.shard(s).commit(tenant, b, pts, pCount[s], pCount[s + 1], exs, eCount[s], eCount[s + 1],
            metaByShard.get(s), rb, rejected);
        any |= syncPos[s] >= 0;
      }
      if (any) {
        head.awaitDurable(syncPos); // outside every shard lock: concurrent commits share the fsync
      }
    } finally {
      head.count(rb.build().accepted(), rejected);
    }
    return rb.build();
  }

  @Override
  public void rollback() {
    release();
  }
}
