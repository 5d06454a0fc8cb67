package io.chatbuilder.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A synthetic Vite-like source tree of exactly N files: the usual top-level files, then
 * {@code src/features/featureK/<kind>/<Name>.jsx|js|css|ts} four directories deep, 25 files per
 * directory. Sizes are mixed (70% 0.2-2 KiB, 25% 2-8 KiB, 5% 8-32 KiB) and every file's content is
 * unique, so content addressing cannot cheat. The same seed and N give byte-identical trees, so ours
 * and the peer's copies start equal.
 */
final class Workspace {
  /** In about 3% of files: the literal the search benchmark looks for. */
  static final String MARKER = "FIXME(perf)";
  private static final String[] KINDS = {"components", "hooks", "pages", "api", "utils", "styles", "store", "forms", "widgets", "lib"};
  private static final String[] WORDS = {"Button", "Card", "Modal", "Header", "Footer", "Sidebar", "Table", "Chart", "Form",
      "Input", "Select", "Toggle", "Avatar", "Badge", "Toast", "Menu", "Tabs", "List", "Grid", "Panel"};
  private static final String[] TOP = {"index.html", "package.json", "vite.config.js", "README.md", "src/main.jsx",
      "src/App.jsx", "src/index.css", "public/favicon.svg", "public/robots.txt"};

  private final Path root;
  private final List<String> paths;
  private final long bytes;

  private Workspace(Path root, List<String> paths, long bytes) {
    this.root = root;
    this.paths = paths;
    this.bytes = bytes;
  }

  /** Writes a tree of {@code files} files under {@code root} (which must not exist or be empty). */
  static Workspace generate(Path root, int files, long seed) {
    Random random = new Random(seed);
    List<String> paths = new ArrayList<>(files);
    long total = 0;
    try {
      Files.createDirectories(root);
      Map<String, Boolean> made = new HashMap<>();
      for (int i = 0; i < files; i++) {
        String path = pathOf(i);
        Path target = root.resolve(path);
        Path parent = target.getParent();
        if (made.putIfAbsent(parent.toString(), Boolean.TRUE) == null) {
          Files.createDirectories(parent);
        }
        byte[] content = content(path, i, random).getBytes(StandardCharsets.UTF_8);
        Files.write(target, content);
        paths.add(path);
        total += content.length;
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot generate the workspace " + root + ": " + e.getMessage(), e);
    }
    Collections.sort(paths);
    return new Workspace(root, List.copyOf(paths), total);
  }

  Path root() {
    return root;
  }

  /** Every file path, sorted. */
  List<String> paths() {
    return paths;
  }

  int size() {
    return paths.size();
  }

  long bytes() {
    return bytes;
  }

  /**
   * A source file to edit in iteration {@code i}: spread over the tree, never a top-level file (so
   * the change is a few directories deep, as in a real app).
   */
  String fileToEdit(int i) {
    int n = paths.size();
    for (int k = 0; ; k++) {
      String p = paths.get((int) ((i * 7919L + k * 104729L + 17) % n));
      if (p.startsWith("src/features/") || n <= TOP.length + 1) {
        return p;
      }
    }
  }

  /** The file's content with one more line, so every edit is a real change. */
  byte[] edited(String path, int i) {
    try {
      byte[] old = Files.readAllBytes(root.resolve(path));
      byte[] line = ("// edit " + i + " " + Long.toHexString(System.nanoTime()) + "\n").getBytes(StandardCharsets.UTF_8);
      byte[] out = new byte[old.length + line.length];
      System.arraycopy(old, 0, out, 0, old.length);
      System.arraycopy(line, 0, out, old.length, line.length);
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Writes a file directly, as a command or a person would (not through a sandbox). */
  void writeDirectly(String path, byte[] content) {
    try {
      Files.write(root.resolve(path), content);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static String pathOf(int i) {
    if (i < TOP.length) {
      return TOP[i];
    }
    int k = i - TOP.length;
    int feature = k / 250;
    String kind = KINDS[(k / 25) % KINDS.length];
    String ext = switch (kind) {
      case "styles" -> ".css";
      case "api", "utils", "store", "lib" -> (k % 3 == 0 ? ".ts" : ".js");
      default -> ".jsx";
    };
    return "src/features/feature" + feature + "/" + kind + "/" + WORDS[k % WORDS.length] + k + ext;
  }

  private static String content(String path, int i, Random random) {
    int roll = random.nextInt(100);
    int target = roll < 70 ? 200 + random.nextInt(1800) : roll < 95 ? 2048 + random.nextInt(6144) : 8192 + random.nextInt(24576);
    StringBuilder sb = new StringBuilder(target + 200);
    sb.append("// ").append(path).append(" (generated for benchmarks, #").append(i).append(")\n");
    sb.append("import { useState, useEffect } from 'react';\n");
    if (random.nextInt(100) < 3) {
      sb.append("// ").append(MARKER).append(": avoid re-rendering the whole list\n");
    }
    int n = 0;
    while (sb.length() < target) {
      String word = WORDS[random.nextInt(WORDS.length)];
      switch (random.nextInt(6)) {
        case 0 -> sb.append("export function use").append(word).append(n).append("(initial) {\n");
        case 1 -> sb.append("  const [value").append(n).append(", setValue").append(n).append("] = useState(initial ?? ")
            .append(random.nextInt(1000)).append(");\n");
        case 2 -> sb.append("  useEffect(() => { document.title = `").append(word).append(' ').append(n).append("`; }, []);\n");
        case 3 -> sb.append("  return <div className=\"").append(word.toLowerCase(java.util.Locale.ROOT)).append("-").append(n)
            .append("\">{value").append(n).append("}</div>;\n}\n");
        case 4 -> sb.append(".").append(word.toLowerCase(java.util.Locale.ROOT)).append("-").append(n)
            .append(" { margin: ").append(random.nextInt(32)).append("px; color: #").append(Integer.toHexString(random.nextInt(0xffffff)))
            .append("; }\n");
        default -> sb.append("// ").append(word).append(" note ").append(Long.toHexString(random.nextLong())).append('\n');
      }
      n++;
    }
    return sb.toString();
  }

  /** Deletes a directory tree (best effort: a benchmark's leftovers must not fail the run). */
  static void deleteTree(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try {
      Files.walkFileTree(dir, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
          Files.deleteIfExists(file);
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
          Files.deleteIfExists(d);
          return FileVisitResult.CONTINUE;
        }
      });
    } catch (IOException e) {
      System.err.println("bench: could not delete " + dir + ": " + e);
    }
  }

  /** Bytes of the regular files under {@code dir} (their lengths, not disk blocks). */
  static long sizeOf(Path dir) {
    long[] total = {0};
    try {
      Files.walkFileTree(dir, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
          if (attrs.isRegularFile()) {
            total[0] += attrs.size();
          }
          return FileVisitResult.CONTINUE;
        }
      });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return total[0];
  }
}
