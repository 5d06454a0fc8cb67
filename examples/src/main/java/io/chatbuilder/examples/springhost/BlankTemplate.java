package io.chatbuilder.examples.springhost;

import io.chatbuilder.core.runtime.AppTemplate;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.SortedMap;
import java.util.TreeMap;

/** The template new apps of the sample host start from: one HTML page. */
final class BlankTemplate implements AppTemplate {
  static final String ID = "blank";

  @Override
  public String id() {
    return ID;
  }

  @Override
  public String description() {
    return "One HTML page";
  }

  @Override
  public SortedMap<String, byte[]> files() {
    SortedMap<String, byte[]> files = new TreeMap<>();
    files.put("index.html", "<!doctype html>\n<title>New app</title>\n<h1>New app</h1>\n".getBytes(StandardCharsets.UTF_8));
    return Collections.unmodifiableSortedMap(files);
  }
}
