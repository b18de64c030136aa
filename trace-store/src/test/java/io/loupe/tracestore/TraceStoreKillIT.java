package io.loupe.tracestore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.loupe.model.SpanRecord;
import io.loupe.model.Tenant;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.BufferedReader;
import java.lang.management.ManagementFactory;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every span acknowledged before a SIGKILL is readable after a restart. */
class TraceStoreKillIT {
  @TempDir Path dir;

  @Test
  void acknowledgedSpansSurviveKill9() throws Exception {
    String java = ProcessHandle.current().info().command().orElse("java");
    List<String> cmd = new ArrayList<>(List.of(java, "-Xmx256m"));
    // Chronicle Map's flags (DEPENDENCIES.md), as this JVM got them
    for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (a.startsWith("--add-") || a.startsWith("-Dchronicle.")) {
        cmd.add(a);
      }
    }
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), CrashWriter.class.getName(), dir.toString()));
    Process child = new ProcessBuilder(cmd)
        .redirectError(ProcessBuilder.Redirect.DISCARD).start();
    List<String[]> acked = new ArrayList<>();
    try (BufferedReader in =
        new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) {
        if (line.startsWith("ACK ")) {
          acked.add(line.substring(4).split(" "));
          if (acked.size() == 50) {
            // While the child holds the directory, this process cannot open it.
            assertThatThrownBy(() -> TraceStore.open(TraceStoreOptions.defaults(dir).withShards(2),
                new SimpleMeterRegistry())).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("in use by another trace store");
          }
          if (acked.size() == 150) {
            child.destroyForcibly(); // SIGKILL: no shutdown hooks, no close
            break;
          }
        }
      }
    } finally {
      child.destroyForcibly();
      assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
    }
    assertThat(acked).hasSize(150);

    try (TraceStore store =
        TraceStore.open(TraceStoreOptions.defaults(dir).withShards(2), new SimpleMeterRegistry())) {
      Tenant tenant = new Tenant("crash");
      for (String[] a : acked) {
        assertThat(store.trace(tenant, a[0])).extracting(SpanRecord::spanId)
            .containsExactlyInAnyOrderElementsOf(Arrays.asList(a).subList(1, a.length));
      }
    }
  }
}
