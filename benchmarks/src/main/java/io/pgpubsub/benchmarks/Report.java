package io.pgpubsub.benchmarks;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The benchmark's table: printed, and written as CSV, Markdown and an SVG chart. */
final class Report {

  /** Whether a row met its target; NONE when the row has no target of its own. */
  enum Verdict {
    PASS,
    FAIL,
    NONE;

    static Verdict of(boolean pass) {
      return pass ? PASS : FAIL;
    }

    String text() {
      return this == NONE ? "" : name().toLowerCase(Locale.ROOT);
    }
  }

  /**
   * One figure. {@code ratio} is library / baseline (for latencies and heap, lower is better).
   *
   * @param unit "/s", "ms", "MB", "%" or "x"
   */
  record Row(String workload, String metric, String unit, double library, double baseline, String target, Verdict verdict) {
    double ratio() {
      return baseline == 0 ? Double.NaN : library / baseline;
    }
  }

  private final List<Row> rows = new ArrayList<>();
  private final List<String> notes = new ArrayList<>();

  void add(Row row) {
    rows.add(row);
  }

  void note(String line) {
    notes.add(line);
  }

  List<Row> rows() {
    return rows;
  }

  static String value(double v, String unit) {
    if (Double.isNaN(v)) {
      return "-";
    }
    switch (unit) {
      case "/s":
        return String.format(Locale.ROOT, "%,.0f/s", v);
      case "ms":
        return String.format(Locale.ROOT, v < 10 ? "%.2f ms" : "%.1f ms", v);
      case "MB":
        return String.format(Locale.ROOT, "%.0f MB", v);
      case "x":
        return String.format(Locale.ROOT, "%.2fx", v);
      case "%":
        return String.format(Locale.ROOT, "%.0f%%", v);
      default:
        return String.format(Locale.ROOT, "%.2f %s", v, unit);
    }
  }

  static String ratio(double r) {
    return Double.isNaN(r) ? "-" : String.format(Locale.ROOT, "%.2f", r);
  }

  private List<String[]> cells() {
    List<String[]> t = new ArrayList<>();
    for (Row r : rows) {
      t.add(
          new String[] {
            r.workload() + ": " + r.metric(),
            value(r.library(), r.unit()),
            value(r.baseline(), r.unit()),
            ratio(r.ratio()),
            r.target(),
            r.verdict().text()
          });
    }
    return t;
  }

  private static final String[] HEADER = {"workload", "library", "baseline", "ratio", "target", "result"};

  /** Plain text, aligned. */
  String text() {
    List<String[]> t = cells();
    int[] w = new int[HEADER.length];
    for (int i = 0; i < w.length; i++) {
      w[i] = HEADER[i].length();
      for (String[] row : t) {
        w[i] = Math.max(w[i], row[i].length());
      }
    }
    StringBuilder b = new StringBuilder();
    line(b, HEADER, w);
    StringBuilder rule = new StringBuilder();
    for (int x : w) {
      rule.append("-".repeat(x)).append("  ");
    }
    b.append(rule.toString().stripTrailing()).append('\n');
    for (String[] row : t) {
      line(b, row, w);
    }
    for (String n : notes) {
      b.append(n).append('\n');
    }
    return b.toString();
  }

  private static void line(StringBuilder b, String[] cells, int[] w) {
    StringBuilder l = new StringBuilder();
    for (int i = 0; i < cells.length; i++) {
      boolean right = i >= 1 && i <= 3;
      String c = cells[i];
      l.append(right ? " ".repeat(w[i] - c.length()) + c : c + " ".repeat(w[i] - c.length())).append("  ");
    }
    b.append(l.toString().stripTrailing()).append('\n');
  }

  /** A Markdown table (for the README). */
  String markdown() {
    StringBuilder b = new StringBuilder();
    b.append("| ").append(String.join(" | ", HEADER)).append(" |\n");
    b.append("|---|---:|---:|---:|---|---|\n");
    for (String[] row : cells()) {
      b.append('|');
      for (String cell : row) {
        b.append(' ').append(cell.replace("|", "\\|")).append(" |");
      }
      b.append('\n');
    }
    return b.toString();
  }

  String csv() {
    StringBuilder b = new StringBuilder("workload,metric,unit,library,baseline,ratio,target,result\n");
    for (Row r : rows) {
      b.append(csvCell(r.workload()))
          .append(',')
          .append(csvCell(r.metric()))
          .append(',')
          .append(csvCell(r.unit()))
          .append(',')
          .append(number(r.library()))
          .append(',')
          .append(number(r.baseline()))
          .append(',')
          .append(number(r.ratio()))
          .append(',')
          .append(csvCell(r.target()))
          .append(',')
          .append(r.verdict().text())
          .append('\n');
    }
    return b.toString();
  }

  private static String number(double v) {
    return Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%.4f", v);
  }

  private static String csvCell(String s) {
    return s.contains(",") || s.contains("\"") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
  }

  /**
   * A bar chart: per row, the library's and the baseline's figure as two bars scaled to the larger of the
   * two, the values, the ratio and the verdict.
   */
  String svg(String title, String subtitle) {
    int rowHeight = 34;
    int labelWidth = 430;
    int barWidth = 300;
    int top = 70;
    int width = labelWidth + barWidth + 260;
    int height = top + rows.size() * rowHeight + 40;
    StringBuilder s = new StringBuilder();
    s.append(
        String.format(
            Locale.ROOT,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\""
                + " font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">\n",
            width, height, width, height));
    s.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
    s.append("<text x=\"10\" y=\"22\" font-size=\"16\" font-weight=\"bold\">").append(xml(title)).append("</text>\n");
    s.append("<text x=\"10\" y=\"40\" fill=\"#555\">").append(xml(subtitle)).append("</text>\n");
    int legendY = 58;
    s.append(rect(labelWidth, legendY - 9, 12, 10, "#3b6ea8"))
        .append(text(labelWidth + 16, legendY, "library", "start", "#000"))
        .append(rect(labelWidth + 80, legendY - 9, 12, 10, "#b0b0b0"))
        .append(text(labelWidth + 96, legendY, "plain-JDBC baseline", "start", "#000"))
        .append(text(labelWidth + barWidth + 90, legendY, "library/baseline", "start", "#000"));
    int y = top;
    for (Row r : rows) {
      double max = Math.max(r.library(), r.baseline());
      if (!(max > 0) || Double.isNaN(max)) {
        max = 1;
      }
      s.append(text(10, y + 18, r.workload() + ": " + r.metric(), "start", "#000"));
      double lw = Double.isNaN(r.library()) ? 0 : barWidth * r.library() / max;
      double bw = Double.isNaN(r.baseline()) ? 0 : barWidth * r.baseline() / max;
      s.append(rect(labelWidth, y + 4, lw, 12, "#3b6ea8"));
      s.append(rect(labelWidth, y + 17, bw, 12, "#b0b0b0"));
      s.append(text(labelWidth + lw + 4, y + 14, value(r.library(), r.unit()), "start", "#000"));
      s.append(text(labelWidth + bw + 4, y + 27, value(r.baseline(), r.unit()), "start", "#555"));
      String color = r.verdict() == Verdict.PASS ? "#1a7f37" : r.verdict() == Verdict.FAIL ? "#cf222e" : "#000";
      s.append(text(labelWidth + barWidth + 90, y + 21, ratio(r.ratio()), "start", "#000"));
      s.append(text(labelWidth + barWidth + 140, y + 21, r.verdict().text(), "start", color));
      y += rowHeight;
    }
    s.append("</svg>\n");
    return s.toString();
  }

  private static String rect(double x, double y, double w, double h, String fill) {
    return String.format(
        Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>\n", x, y, w, h, fill);
  }

  private static String text(double x, double y, String t, String anchor, String fill) {
    return String.format(
        Locale.ROOT,
        "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" fill=\"%s\">%s</text>\n",
        x,
        y,
        anchor,
        fill,
        xml(t));
  }

  private static String xml(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }

  void write(Path dir, String title, String subtitle) throws IOException {
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("results.csv"), csv(), StandardCharsets.UTF_8);
    Files.writeString(dir.resolve("results.md"), "# " + title + "\n\n" + subtitle + "\n\n" + markdown() + notesMarkdown(), StandardCharsets.UTF_8);
    Files.writeString(dir.resolve("results.svg"), svg(title, subtitle), StandardCharsets.UTF_8);
  }

  private String notesMarkdown() {
    StringBuilder b = new StringBuilder();
    if (!notes.isEmpty()) {
      b.append('\n');
      for (String n : notes) {
        b.append(n).append("  \n");
      }
    }
    return b.toString();
  }
}
