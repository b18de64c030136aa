package io.loupe.tsdb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.loupe.model.Appender;
import io.loupe.model.StorageUnavailableException;
import io.loupe.model.Tenant;
import io.loupe.tsdb.wlog.ChannelOpener;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Disk full while writing the WAL or a block. A real full file system needs root (loop mount, small tmpfs), so the
 * failure is injected through the ChannelOpener seam: writes first tear (half the buffer reaches the file), then fail
 * with ENOSPC's message, as a full ext4 does.
 */
class DiskFullIT {
  static final Tenant T = BlockIT.T;
  static final long H = 3_600_000L;
  static final long B0 = BlockIT.B0;

  @TempDir
  Path dir;

  static FileChannel failingWrites(FileChannel ch) {
    return new FullChannel(ch, () -> true);
  }

  TsdbOptions opts() {
    return TsdbOptions.defaults(dir).withShards(2).withBlockRange(Duration.ofHours(1))
        .withRetention(Duration.ofHours(25)).withOutOfOrderWindow(Duration.ofMinutes(10));
  }

  static void append(Tsdb db, long fromMin, long toMin) {
    Appender a = db.appender(T);
    for (long m = fromMin; m < toMin; m++) {
      for (int s = 0; s < 10; s++) {
        a.append(TsdbIT.series("m", "s", String.valueOf(s)), B0 + m * 60_000, m * s);
      }
    }
    assertThat(a.commit().rejectedCount()).isZero();
  }

  @Test
  void walWriteFailsCleanlyAndIngestResumesWhenSpaceReturns() throws Exception {
    AtomicBoolean full = new AtomicBoolean();
    ChannelOpener opener = (f, o) -> new FullChannel(FileChannel.open(f, o), full::get);
    List<String> acked;
    try (Tsdb db = Tsdb.open(opts(), new SimpleMeterRegistry(), opener)) {
      append(db, 0, 30);
      acked = BlockIT.dumpAll(db);
      full.set(true);
      Appender a = db.appender(T);
      a.append(TsdbIT.series("m", "s", "1"), B0 + 30 * 60_000, 1);
      a.append(TsdbIT.series("new"), B0 + 30 * 60_000, 1);
      assertThatThrownBy(a::commit).isInstanceOf(StorageUnavailableException.class)
          .hasMessageContaining(dir.resolve("wal").toString()).hasMessageContaining("No space left on device");
      assertThat(BlockIT.dumpAll(db)).isEqualTo(acked); // nothing of the failed batch is visible
      assertThat(db.stats(T, 0).headStats().numSeries()).isEqualTo(10); // the new series' reservation was released
      full.set(false);
      append(db, 30, 60);
      acked = BlockIT.dumpAll(db);
    }
    SimpleMeterRegistry reg = new SimpleMeterRegistry();
    try (Tsdb db = Tsdb.open(opts(), reg)) {
      assertThat(BlockIT.dumpAll(db)).isEqualTo(acked); // the torn record was cut off, later ones replay
      assertThat(reg.get("loupe.tsdb.wal.corruptions").counter().count()).isZero();
    }
  }

  @Test
  void blockWriteFailsCleanlyAndTheCutIsRetried() throws Exception {
    AtomicBoolean full = new AtomicBoolean();
    ChannelOpener opener = (f, o) -> new FullChannel(FileChannel.open(f, o),
        () -> full.get() && f.startsWith(dir.resolve("blocks")));
    List<String> acked;
    try (Tsdb db = Tsdb.open(opts(), new SimpleMeterRegistry(), opener)) {
      append(db, 0, 150);
      acked = BlockIT.dumpAll(db);
      full.set(true);
      assertThatThrownBy(db::flushHead).isInstanceOf(StorageUnavailableException.class)
          .hasMessageContaining("writing block file " + dir.resolve("blocks"))
          .hasMessageContaining("No space left on device");
      assertThat(BlockIT.dumpAll(db)).isEqualTo(acked);
      assertThat(Files.list(dir.resolve("blocks").resolve(T.id())).toList()).isEmpty(); // no .tmp left behind
      append(db, 150, 160); // ingest goes on: the WAL has space
      acked = BlockIT.dumpAll(db);
      full.set(false);
      assertThat(db.flushHead()).isEqualTo(2); // hours 0 and 1; hour 2 holds the newest sample
      assertThat(BlockIT.dumpAll(db)).isEqualTo(acked);
    }
    try (Tsdb db = Tsdb.open(opts(), new SimpleMeterRegistry())) {
      assertThat(BlockIT.dumpAll(db)).isEqualTo(acked);
    }
  }

  /** Delegates to a real channel; while {@code full} says so, a write tears once (half the bytes land), then fails. */
  static final class FullChannel extends FileChannel {
    private final FileChannel d;
    private final BooleanSupplier full;
    private boolean torn;

    FullChannel(FileChannel d, BooleanSupplier full) {
      this.d = d;
      this.full = full;
    }

    private int fail(ByteBuffer b, long pos) throws IOException {
      if (!torn && b.remaining() > 1) {
        torn = true;
        ByteBuffer half = b.duplicate();
        half.limit(half.position() + b.remaining() / 2);
        int n = pos < 0 ? d.write(half) : d.write(half, pos);
        b.position(b.position() + n);
        return n;
      }
      torn = false;
      throw new IOException("No space left on device");
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
      return full.getAsBoolean() ? fail(src, -1) : d.write(src);
    }

    @Override
    public int write(ByteBuffer src, long position) throws IOException {
      return full.getAsBoolean() ? fail(src, position) : d.write(src, position);
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
      if (full.getAsBoolean()) {
        throw new IOException("No space left on device");
      }
      return d.write(srcs, offset, length);
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
      return d.read(dst);
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
      return d.read(dsts, offset, length);
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
      return d.read(dst, position);
    }

    @Override
    public long position() throws IOException {
      return d.position();
    }

    @Override
    public FileChannel position(long newPosition) throws IOException {
      d.position(newPosition);
      return this;
    }

    @Override
    public long size() throws IOException {
      return d.size();
    }

    @Override
    public FileChannel truncate(long size) throws IOException {
      d.truncate(size);
      return this;
    }

    @Override
    public void force(boolean metaData) throws IOException {
      d.force(metaData);
    }

    @Override
    public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
      return d.transferTo(position, count, target);
    }

    @Override
    public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException {
      if (full.getAsBoolean()) {
        throw new IOException("No space left on device");
      }
      return d.transferFrom(src, position, count);
    }

    @Override
    public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
      return d.map(mode, position, size);
    }

    @Override
    public FileLock lock(long position, long size, boolean shared) throws IOException {
      return d.lock(position, size, shared);
    }

    @Override
    public FileLock tryLock(long position, long size, boolean shared) throws IOException {
      return d.tryLock(position, size, shared);
    }

    @Override
    protected void implCloseChannel() throws IOException {
      d.close();
    }
  }
}
