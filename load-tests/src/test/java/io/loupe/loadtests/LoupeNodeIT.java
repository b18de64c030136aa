package io.loupe.loadtests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.loupe.loadtests.internal.NodeProcess;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The generators against a real node started from {@code server/target/loupe.jar} (built by the server module's
 * {@code package}, which the reactor runs before this module's integration tests): every request accepted, and what
 * remote write sent is readable through the Prometheus API. Skipped, saying why, when the jar has not been built.
 */
class LoupeNodeIT {
  // -Dloupe.node.jar=... points the test at another build of the node (test code only; the generators take flags).
  static final Path JAR = Path.of(System.getProperty("loupe.node.jar", "../server/target/loupe.jar"))
      .toAbsolutePath().normalize();
  static NodeProcess node;

  @BeforeAll
  static void start() throws Exception {
    assumeTrue(Files.isRegularFile(JAR), JAR + " is missing: build it with ./mvnw -pl server package");
    node = NodeProcess.start(JAR, List.of("-Xmx512m"), Duration.ofSeconds(120), false);
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.close();
    }
  }

  private static PrintStream quiet() {
    return new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
  }

  @Test
  void remoteWriteIsAcceptedAndReadBack() throws Exception {
    LoadReport r = RemoteWriteLoad.run(RemoteWriteLoad.flags().parse("--url",
        "http://127.0.0.1:" + node.httpPort() + "/api/v1/write", "--node-pid", Long.toString(node.pid()),
        "--series", "500", "--span", "2m", "--batch-size", "200", "--duration", "60s"), quiet());
    assertThat(r.firstError()).isNull();
    assertThat(r.samplesAccepted()).isEqualTo(4000);
    assertThat(r.nodeCpuSeconds()).isPositive();

    // 500 series = 4 whole targets + 84 series of a fifth, which stop before node_load1. The newest round is at
    // most 15 s old, inside the 5 m lookback of an instant query.
    String body = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
            + node.httpPort() + "/api/v1/query?query=" + URLEncoder.encode("count(node_load1{job=\"node\"})",
            StandardCharsets.UTF_8))).build(), HttpResponse.BodyHandlers.ofString()).body();
    assertThat(body).contains("\"status\":\"success\"").contains("\"4\"");
  }

  @Test
  void otlpMetricsOverHttpAndGrpcAreAccepted() throws Exception {
    for (String protocol : new String[] {"http", "grpc"}) {
      LoadReport r = OtlpLoad.run(OtlpLoad.flags().parse("--url", protocol.equals("http")
              ? "http://127.0.0.1:" + node.otlpHttpPort() + "/v1/metrics"
              : "http://127.0.0.1:" + node.otlpGrpcPort() + OtlpLoad.METRICS_GRPC_PATH,
          "--protocol", protocol, "--hosts", "3", "--span", "1m", "--seed", protocol.equals("http") ? "1" : "2",
          "--tenant", "load-" + protocol, "--duration", "60s"), quiet());
      assertThat(r.accepted()).as(protocol).isEqualTo(r.requests()).isEqualTo(12);
      assertThat(r.firstError()).as(protocol).isNull(); // 3 hosts x 4 rounds
      assertThat(r.rejected()).as(protocol).isZero();
    }
  }

  @Test
  void otlpTracesOverGrpcAndHttpAreAccepted() throws Exception {
    for (String protocol : new String[] {"grpc", "http"}) {
      LoadReport r = OtlpLoad.run(OtlpLoad.flags().parse("--url", protocol.equals("http")
              ? "http://127.0.0.1:" + node.otlpHttpPort() + "/v1/traces"
              : "http://127.0.0.1:" + node.otlpGrpcPort() + OtlpLoad.TRACES_GRPC_PATH,
          "--protocol", protocol, "--signal", "traces", "--traces", "400", "--traces-per-request", "100",
          "--seed", protocol.equals("http") ? "1" : "2", "--duration", "60s"), quiet());
      assertThat(r.firstError()).as(protocol).isNull();
      assertThat(r.accepted()).as(protocol).isEqualTo(4);
      assertThat(r.rejected()).as(protocol).isZero();
    }
  }
}
