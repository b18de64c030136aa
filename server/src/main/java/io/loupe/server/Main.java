package io.loupe.server;

import io.loupe.server.internal.ConfigException;
import io.loupe.server.internal.Settings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The one launcher: {@code java -jar loupe.jar [--config loupe.yaml] [--data-dir DIR] [--http-port N] ...}. */
public final class Main {
  static final String USAGE = """
      Usage: loupe [options]
        --config FILE          YAML configuration; config/loupe.yaml lists every setting with its default
        --data-dir DIR         where the stores keep their files (default: ./data)
        --http-port N          HTTP API, remote write, /metrics, /-/healthy, /-/ready (default: 9090; 0 = any free port)
        --otlp-grpc-port N     OTLP/gRPC (default: 4317)
        --otlp-http-port N     OTLP/HTTP (default: 4318)
        --listen-address ADDR  address every listener binds (default: 0.0.0.0)
        --target ROLE          which roles this process runs (default: all)
        --help                 print this and exit
        --version              print the version and exit
      """;

  private Main() {}

  public static void main(String[] args) {
    // Before any Chronicle class loads: otherwise Chronicle tries to reach an analytics service (DEPENDENCIES.md).
    System.setProperty("chronicle.analytics.disable", "true");
    System.setProperty("chronicle.announcer.disable", "true");
    int code = run(args);
    if (code >= 0) {
      System.exit(code);
    }
  }

  /** Runs the node until it is signalled; returns an exit code, or -1 after a clean shutdown by signal. */
  static int run(String[] args) {
    Settings settings;
    try {
      settings = parse(args);
    } catch (UsageRequest u) {
      System.out.print(u.getMessage());
      return 0;
    } catch (ConfigException e) {
      System.err.println("loupe: " + e.getMessage());
      System.err.print(USAGE);
      return 2;
    }
    Logger logger = LoggerFactory.getLogger(Main.class);
    NodeConfig config;
    try {
      config = NodeConfig.from(settings);
    } catch (ConfigException | IllegalArgumentException e) {
      System.err.println("loupe: configuration error: " + e.getMessage());
      return 2;
    }
    LoupeNode node;
    try {
      node = LoupeNode.start(config);
    } catch (RuntimeException e) {
      logger.error("Loupe failed to start: {}", e.toString(), e);
      return 1;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      logger.info("Shutting down: stopping listeners, draining requests, closing stores");
      node.close();
      stopped.countDown();
    }, "loupe-shutdown"));
    try {
      node.awaitReady();
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      logger.error("Loupe failed while opening its stores: {}", e.toString(), e);
      node.close();
      return 1;
    }
    return -1;
  }

  private static final class UsageRequest extends RuntimeException {
    private static final long serialVersionUID = 1L;

    UsageRequest(String text) {
      super(text, null, false, false);
    }
  }

  static Settings parse(String[] args) {
    Path config = null;
    List<String[]> overrides = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      String value = null;
      int eq = a.indexOf('=');
      if (a.startsWith("--") && eq > 0) {
        value = a.substring(eq + 1);
        a = a.substring(0, eq);
      }
      switch (a) {
        case "--help", "-h" -> throw new UsageRequest(USAGE);
        case "--version" -> throw new UsageRequest("loupe " + NodeConfig.version() + "\n");
        case "--config", "--data-dir", "--http-port", "--otlp-grpc-port", "--otlp-http-port", "--target",
            "--listen-address" -> {
          if (value == null) {
            if (i + 1 >= args.length) {
              throw new ConfigException(a + ": missing value");
            }
            value = args[++i];
          }
          if (a.equals("--config")) {
            config = Path.of(value);
            if (!Files.isRegularFile(config)) {
              throw new ConfigException("--config " + value + ": no such file");
            }
          } else {
            overrides.add(new String[] {a, value});
          }
        }
        default -> throw new ConfigException("unknown option '" + args[i] + "'");
      }
    }
    Settings s = config == null ? Settings.empty() : Settings.load(config);
    for (String[] o : overrides) {
      switch (o[0]) {
        case "--data-dir" -> s.override("data_dir", o[1]);
        case "--target" -> s.override("target", o[1]);
        case "--listen-address" -> s.override("server.listen_address", o[1]);
        default -> s.override("server." + o[0].substring(2).replace('-', '_'), port(o[0], o[1]));
      }
    }
    return s;
  }

  private static int port(String flag, String v) {
    try {
      int p = Integer.parseInt(v);
      if (p < 0 || p > 65535) {
        throw new NumberFormatException();
      }
      return p;
    } catch (NumberFormatException e) {
      throw new ConfigException(flag + ": '" + v + "' (expected: a port number 0 to 65535)");
    }
  }
}
