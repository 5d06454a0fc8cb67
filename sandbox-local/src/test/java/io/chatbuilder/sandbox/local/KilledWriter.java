package io.chatbuilder.sandbox.local;

import io.chatbuilder.core.LeaseLostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * A child JVM for {@link TempFilesAfterKillTest} and {@link FencingAcrossInstancesTest}.
 * <ul>
 *   <li>{@code block ROOT}: writes one file and stops at the commit step (its temporary file is on
 *       disk, the rename has not happened), printing {@code committing}; the parent kills it there.
 *   <li>{@code loop ROOT}: writes 256 KiB files forever, printing {@code wrote N}.
 *   <li>{@code fence ROOT TOKEN PATH TEXT}: one fenced write; prints {@code ok} or {@code lost}.
 * </ul>
 */
final class KilledWriter {
  private KilledWriter() {}

  public static void main(String[] args) throws Exception {
    Path root = Path.of(args[1]);
    switch (args[0]) {
      case "block" -> {
        LocalSandbox sandbox = LocalSandbox.builder(root).raceHook((step, path) -> {
          if (step.equals("commit")) {
            System.out.println("committing " + path);
            System.out.flush();
            try {
              Thread.sleep(Long.MAX_VALUE);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
        }).build();
        sandbox.write("src/big.txt", new byte[100_000]);
      }
      case "loop" -> {
        LocalSandbox sandbox = LocalSandbox.builder(root).build();
        byte[] content = new byte[256 * 1024];
        for (int n = 0; ; n++) {
          Arrays.fill(content, (byte) n);
          sandbox.write("src/file" + (n % 7) + ".bin", content);
          System.out.println("wrote " + n);
          System.out.flush();
        }
      }
      case "fence" -> {
        try (LocalSandbox sandbox = LocalSandbox.builder(root).build()) {
          sandbox.fenced(Long.parseLong(args[2])).write(args[3], args[4].getBytes(StandardCharsets.UTF_8));
          System.out.println("ok");
        } catch (LeaseLostException e) {
          System.out.println("lost");
        }
      }
      default -> throw new IllegalArgumentException(args[0]);
    }
  }

  static ProcessBuilder command(String... args) {
    String[] cmd = new String[args.length + 6];
    cmd[0] = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    cmd[1] = "-cp";
    cmd[2] = System.getProperty("java.class.path");
    cmd[3] = "-XX:TieredStopAtLevel=1";
    cmd[4] = "-XX:+UseSerialGC";
    cmd[5] = KilledWriter.class.getName();
    System.arraycopy(args, 0, cmd, 6, args.length);
    return new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD);
  }
}
