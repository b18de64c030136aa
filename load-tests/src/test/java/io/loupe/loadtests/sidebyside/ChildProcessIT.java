package io.loupe.loadtests.sidebyside;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Process handling with stand-in children (sh scripts), as the side-by-side drives the real systems. */
class ChildProcessIT {
  @TempDir Path tmp;

  private ChildProcess sh(String script, Duration grace, boolean keep) throws IOException {
    Path work = Files.createDirectories(tmp.resolve("work"));
    return ChildProcess.start("child", List.of("sh", "-c", script), work, work.resolve("output.log"), grace, keep);
  }

  @Test
  void readsTheReadyLineAndStopsGracefullyWhileTheChildStillLogs() throws Exception {
    // The child logs after SIGTERM, as Prometheus does: it must not die of SIGPIPE (exit 141) before exiting 0.
    try (ChildProcess p = sh("trap 'echo shutting down; sleep 0.2; echo bye; exit 0' TERM; echo starting;"
        + " echo 'Loupe ready: http=4242 otlp-grpc=1 otlp-http=2'; while true; do sleep 0.05; done",
        Duration.ofSeconds(10), true)) {
      Matcher m = p.awaitLine(Systems.LOUPE_READY, Duration.ofSeconds(10));
      assertThat(m.group(1)).isEqualTo("4242");
      long pid = p.pid();
      assertThat(ProcessHandle.of(pid)).isPresent();
      assertThat(p.stop()).isZero();
      assertThat(p.isAlive()).isFalse();
      assertThat(Files.readString(p.log())).contains("starting", "shutting down", "bye");
    }
  }

  @Test
  void aChildThatIgnoresSigtermIsKilledAfterTheGracePeriod() throws Exception {
    try (ChildProcess p = sh("trap '' TERM; echo up; while true; do sleep 0.05; done", Duration.ofMillis(300),
        false)) {
      p.awaitLine(Pattern.compile("up"), Duration.ofSeconds(10));
      long t0 = System.nanoTime();
      assertThat(p.stop()).isEqualTo(-1);
      assertThat(p.isAlive()).isFalse();
      assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10));
    }
  }

  @Test
  void closeDeletesTheWorkDirUnlessKept() throws Exception {
    ChildProcess p = sh("mkdir -p data && echo x > data/f; echo ok; sleep 30", Duration.ofSeconds(5), false);
    p.awaitLine(Pattern.compile("ok"), Duration.ofSeconds(10));
    Path work = tmp.resolve("work");
    assertThat(work).isDirectory();
    p.close();
    assertThat(p.isAlive()).isFalse();
    assertThat(work).doesNotExist();
  }

  @Test
  void sizeOfCountsRegularFiles() throws Exception {
    Files.createDirectories(tmp.resolve("d/sub"));
    Files.write(tmp.resolve("d/a"), new byte[100]);
    Files.write(tmp.resolve("d/sub/b"), new byte[23]);
    assertThat(ChildProcess.sizeOf(tmp.resolve("d"))).isEqualTo(123);
    assertThat(ChildProcess.sizeOf(tmp.resolve("missing"))).isEqualTo(-1);
  }

  @Test
  void waitingFailsFastWhenTheChildExits() throws Exception {
    try (ChildProcess p = sh("echo nope; exit 3", Duration.ofSeconds(5), true)) {
      assertThatThrownBy(() -> p.awaitLine(Systems.LOUPE_READY, Duration.ofSeconds(30)))
          .isInstanceOf(IOException.class).hasMessageContaining("exited before logging");
      assertThat(p.stop()).isEqualTo(3);
      assertThatThrownBy(() -> p.awaitHttpOk(URI.create("http://127.0.0.1:" + ChildProcess.freeLoopbackPort()
          + "/-/ready"), Duration.ofSeconds(30))).isInstanceOf(IOException.class).hasMessageContaining("exited with 3");
    }
  }

  @Test
  void waitingForALineTimesOut() throws Exception {
    try (ChildProcess p = sh("sleep 30", Duration.ofSeconds(5), false)) {
      assertThatThrownBy(() -> p.awaitLine(Systems.LOUPE_READY, Duration.ofMillis(200)))
          .isInstanceOf(IOException.class).hasMessageContaining("within PT0.2S");
    }
  }
}
