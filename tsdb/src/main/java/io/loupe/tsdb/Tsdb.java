package io.loupe.tsdb;

import static java.util.Objects.requireNonNull;

import io.loupe.model.Appender;
import io.loupe.model.Labels;
import io.loupe.model.Matcher;
import io.loupe.model.MetricMetadata;
import io.loupe.model.Querier;
import io.loupe.model.Queryable;
import io.loupe.model.SeriesAppender;
import io.loupe.model.SeriesExemplars;
import io.loupe.model.StorageUnavailableException;
import io.loupe.model.Tenant;
import io.loupe.tsdb.head.Head;
import io.loupe.tsdb.wlog.ChannelOpener;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loupe's time-series store: a sharded in-memory head made durable by a write-ahead log. Writers get an {@link
 * Appender} per tenant and batch; readers a {@link Querier}. Thread-safe. See docs/tsdb.md.
 */
public final class Tsdb implements SeriesAppender, Queryable, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Tsdb.class);

  private final TsdbOptions options;
  private final Head head;
  private final FileChannel lockChannel;
  private final FileLock lock;
  private final ScheduledExecutorService compactor;

  private Tsdb(TsdbOptions options, Head head, FileChannel lockChannel, FileLock lock) {
    this.options = options;
    this.head = head;
    this.lockChannel = lockChannel;
    this.lock = lock;
    this.compactor = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "loupe-tsdb-compactor");
      t.setDaemon(true);
      return t;
    });
    compactor.scheduleWithFixedDelay(this::compactQuietly, 1, 1, TimeUnit.MINUTES);
  }

  private void compactQuietly() {
    try {
      head.compactIfNeeded();
    } catch (IOException | RuntimeException e) {
      log.error("cutting the head into a block failed (will retry in a minute): {}", e.toString());
    }
  }

  /**
   * Cuts every whole block range before the one holding each tenant's newest sample into blocks now, and drops those
   * chunks from memory ({@code POST /api/v1/admin/tsdb/flush}). Later samples before the cut are refused as too old.
   * The background compactor does the same on its own for ranges 1.5 ranges behind. Returns blocks written.
   *
   * @throws StorageUnavailableException if a block cannot be written; the head keeps the data
   */
  public int flushHead() {
    try {
      return head.flush();
    } catch (IOException e) {
      throw new StorageUnavailableException("cutting a block in " + options.dataDir() + ": " + e.getMessage(), e);
    }
  }

  /**
   * Runs the background cycle now ({@code POST /api/v1/admin/tsdb/compact}): cuts head ranges that are due into
   * blocks, merges blocks into larger ranges (docs/tsdb.md, Compaction), applies retention by time and size. Returns
   * blocks written (cut and merged).
   *
   * @throws StorageUnavailableException if a block cannot be written; nothing is lost, the sources stay in place
   */
  public int compact() {
    try {
      return head.compact();
    } catch (IOException e) {
      throw new StorageUnavailableException("compacting blocks in " + options.dataDir() + ": " + e.getMessage(), e);
    } catch (UncheckedIOException e) {
      throw new StorageUnavailableException("compacting blocks in " + options.dataDir() + ": " + e.getMessage(),
          e.getCause());
    }
  }

  private static final DateTimeFormatter SNAPSHOT_TIME = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'");

  /**
   * Writes a snapshot of all data into {@code <dataDir>/snapshots/<name>} ({@code POST /api/v1/admin/tsdb/snapshot},
   * as Prometheus has): the blocks hard-linked and, with {@code withHead}, the head's samples written as blocks, without
   * cutting them from the head. The snapshot has the data dir's layout ({@code blocks/<tenant>/...}): a backup is
   * a copy of it, a restore copies its {@code blocks/} into an empty data dir. Returns the snapshot's name
   * ({@code <UTC time>-<random hex>}).
   *
   * @throws StorageUnavailableException if it cannot be written; nothing half-written is left behind
   */
  public String snapshot(boolean withHead) {
    String name = SNAPSHOT_TIME.format(ZonedDateTime.now(ZoneOffset.UTC)) + "-"
        + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
    Path target = options.dataDir().resolve("snapshots").resolve(name);
    try {
      head.snapshot(target, withHead);
      return name;
    } catch (IOException e) {
      throw new StorageUnavailableException("writing snapshot " + target + ": " + e.getMessage(), e);
    }
  }

  /** Runs the background cycle now and returns the blocks cut from the head (merged ones not counted). */
  public int compactHead() {
    try {
      return head.compactIfNeeded();
    } catch (IOException e) {
      throw new StorageUnavailableException("cutting a block in " + options.dataDir() + ": " + e.getMessage(), e);
    }
  }

  /**
   * Opens (creating if needed) the store in {@code options.dataDir()} and replays its WAL before returning. The
   * directory is locked against a second open, in this or another process.
   *
   * @throws UncheckedIOException if the directory cannot be used; {@link io.loupe.tsdb.wlog.CorruptFileException} as
   *     the cause when a WAL file is not a Loupe WAL of a known version
   */
  public static Tsdb open(TsdbOptions options, MeterRegistry registry) {
    return open(options, registry, ChannelOpener.DEFAULT);
  }

  /**
   * As {@link #open(TsdbOptions, MeterRegistry)}, with every file the WAL and the block writer write opened through
   * {@code opener}: the seam tests use to inject disk-full failures.
   */
  public static Tsdb open(TsdbOptions options, MeterRegistry registry, ChannelOpener opener) {
    requireNonNull(options, "options");
    requireNonNull(opener, "opener");
    requireNonNull(registry, "registry");
    FileChannel ch = null;
    try {
      Files.createDirectories(options.dataDir());
      Path lockFile = options.dataDir().resolve("LOCK");
      ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      FileLock l;
      try {
        l = ch.tryLock();
      } catch (OverlappingFileLockException e) {
        l = null;
      }
      if (l == null) {
        throw new IllegalStateException("data directory " + options.dataDir()
            + " is in use by another Tsdb (lock held on " + lockFile + ")");
      }
      Head head = Head.open(options, registry, opener);
      return new Tsdb(options, head, ch, l);
    } catch (IOException e) {
      closeQuietly(ch);
      throw new UncheckedIOException("opening tsdb in " + options.dataDir() + ": " + e.getMessage(), e);
    } catch (RuntimeException e) {
      closeQuietly(ch);
      throw e;
    }
  }

  private static void closeQuietly(FileChannel ch) {
    if (ch != null) {
      try {
        ch.close();
      } catch (IOException ignored) {
        // already failing
      }
    }
  }

  public TsdbOptions options() {
    return options;
  }

  @Override
  public Appender appender(Tenant tenant) {
    requireNonNull(tenant, "tenant");
    return head.appender(tenant);
  }

  @Override
  public Querier querier(Tenant tenant, long mintMs, long maxtMs) {
    requireNonNull(tenant, "tenant");
    if (maxtMs < mintMs) {
      throw new IllegalArgumentException("querier range: maxt " + maxtMs + " < mint " + mintMs
          + " (expected: maxt >= mint)");
    }
    return head.querier(tenant, mintMs, maxtMs);
  }

  @Override
  public List<SeriesExemplars> exemplars(Tenant tenant, long startMs, long endMs, List<List<Matcher>> matcherSets) {
    requireNonNull(tenant, "tenant");
    requireNonNull(matcherSets, "matcherSets");
    return head.exemplars(tenant, startMs, endMs, matcherSets);
  }

  @Override
  public Map<String, List<MetricMetadata>> metadata(Tenant tenant, String metric, int limit) {
    requireNonNull(tenant, "tenant");
    return head.metadata(tenant, metric, limit);
  }

  /** Head cardinality of {@code tenant} for {@code GET /api/v1/status/tsdb}, top {@code limit} per list (0: all). */
  public TsdbStats stats(Tenant tenant, int limit) {
    requireNonNull(tenant, "tenant");
    if (limit < 0) {
      throw new IllegalArgumentException("limit: " + limit + " (expected: >= 0)");
    }
    return head.stats(tenant, limit);
  }

  /** The stable id of a series (kept across restarts), if the store has it. */
  public OptionalLong seriesId(Tenant tenant, Labels labels) {
    requireNonNull(tenant, "tenant");
    requireNonNull(labels, "labels");
    return head.seriesId(tenant, labels);
  }

  /** Fsyncs and closes the WAL and releases the directory lock. Later commits throw StorageUnavailableException. */
  @Override
  public void close() {
    compactor.shutdown(); // not shutdownNow: an interrupt inside file I/O would close the channel mid-write
    try {
      compactor.awaitTermination(1, TimeUnit.MINUTES);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      head.close();
    } catch (IOException e) {
      throw new StorageUnavailableException("closing tsdb in " + options.dataDir() + ": " + e.getMessage(), e);
    } finally {
      try {
        lock.release();
      } catch (IOException ignored) {
        // closing the channel releases it too
      }
      closeQuietly(lockChannel);
    }
  }
}
