package io.loupe.loadtests.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Starts {@link FakeNode} from a jar built here, as --start-node starts the real one, and stops it by pid. */
class NodeProcessIT {
  @TempDir
  Path tmp;

  private Path fakeJar() throws IOException {
    Manifest mf = new Manifest();
    mf.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
    mf.getMainAttributes().put(Attributes.Name.MAIN_CLASS, FakeNode.class.getName());
    Path jar = tmp.resolve("fake-node.jar");
    String entry = FakeNode.class.getName().replace('.', '/') + ".class";
    try (OutputStream os = Files.newOutputStream(jar); JarOutputStream jos = new JarOutputStream(os, mf);
        InputStream in = FakeNode.class.getClassLoader().getResourceAsStream(entry)) {
      jos.putNextEntry(new JarEntry(entry));
      in.transferTo(jos);
      jos.closeEntry();
    }
    return jar;
  }

  @Test
  void readsPortsFromTheReadyLineAndStopsThePid() throws Exception {
    NodeProcess node = NodeProcess.start(fakeJar(), List.of("-Xmx64m"), Duration.ofSeconds(60), false);
    long pid = node.pid();
    try {
      assertThat(node.httpPort()).isEqualTo(1111);
      assertThat(node.otlpGrpcPort()).isEqualTo(2222);
      assertThat(node.otlpHttpPort()).isEqualTo(3333);
      assertThat(ProcessHandle.of(pid)).isPresent();
      assertThat(ProcStat.cpuSeconds(pid)).isPositive(); // a JVM that got this far used some CPU
      assertThat(ProcStat.peakRssBytes(pid)).isPositive();
      assertThat(Files.readString(node.log())).contains("Loupe ready");
    } finally {
      int exit = node.stop();
      assertThat(exit).isEqualTo(143); // SIGTERM: the JVM ran its shutdown hooks and exited
      assertThat(node.dataDirBytes()).isEqualTo(1000);
      node.close();
    }
    assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
    assertThat(node.dataDir()).doesNotExist();
    assertThat(node.log()).doesNotExist(); // the whole temp directory goes
  }

  @Test
  void keepsTheDataDirWhenAsked() throws Exception {
    NodeProcess node = NodeProcess.start(fakeJar(), List.of(), Duration.ofSeconds(60), true);
    node.close();
    assertThat(node.dataDir().resolve("wal-000001")).exists();
    assertThat(node.log()).exists();
    // kept as asked: the test removes it
    try (java.util.stream.Stream<java.nio.file.Path> s = Files.walk(node.dataDir().getParent())) {
      s.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    }
  }

  @Test
  void aNodeThatExitsBeforeItIsReadyFailsFastWithItsLog() throws Exception {
    long t0 = System.nanoTime();
    assertThatThrownBy(() -> NodeProcess.start(fakeJar(), List.of("-Dfake.mode=exit"), Duration.ofSeconds(60),
        false))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("did not log 'Loupe ready'")
        .hasMessageContaining("node.log")
        .satisfies(e -> { // the log it names is kept, to read why; the test removes it
          java.nio.file.Path log = java.nio.file.Path.of(e.getMessage().substring(e.getMessage().indexOf("see ") + 4));
          assertThat(log).exists();
          try (java.util.stream.Stream<java.nio.file.Path> s = Files.walk(log.getParent())) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
          }
        });
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(30));
  }

  @Test
  void aMissingJarIsNamed() {
    assertThatThrownBy(() -> NodeProcess.start(tmp.resolve("nope.jar"), List.of(), Duration.ofSeconds(1), false))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("nope.jar does not exist");
  }
}
