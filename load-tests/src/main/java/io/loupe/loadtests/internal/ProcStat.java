package io.loupe.loadtests.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** CPU time and memory of a process, read from Linux's /proc; NaN or -1 when the process or /proc is not there. */
public final class ProcStat {
  // /proc/<pid>/stat counts in USER_HZ, which the kernel fixes at 100 for user space on every architecture we run on.
  private static final double TICKS_PER_SECOND = 100.0;

  private ProcStat() {}

  /** utime + stime of {@code pid} in seconds (threads included, waited-for children not), or NaN. */
  public static double cpuSeconds(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      // The command name (field 2) may hold spaces and parentheses: fields are counted after the last ')'.
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split("\\s+");
      long utime = Long.parseLong(f[11]); // field 14 overall; f[0] is field 3 (state)
      long stime = Long.parseLong(f[12]); // field 15
      return (utime + stime) / TICKS_PER_SECOND;
    } catch (IOException | RuntimeException e) {
      return Double.NaN;
    }
  }

  /** Peak resident set size (VmHWM) of {@code pid} in bytes, or -1. */
  public static long peakRssBytes(long pid) {
    return statusKb(pid, "VmHWM:");
  }

  /** Current resident set size (VmRSS) of {@code pid} in bytes, or -1. */
  public static long rssBytes(long pid) {
    return statusKb(pid, "VmRSS:");
  }

  private static long statusKb(long pid, String key) {
    try {
      List<String> lines = Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"));
      for (String l : lines) {
        if (l.startsWith(key)) {
          String[] f = l.substring(key.length()).trim().split("\\s+");
          return Long.parseLong(f[0]) * 1024;
        }
      }
      return -1;
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }
}
