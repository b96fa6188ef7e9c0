package io.pgpubsub.benchmarks;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The highest fixed offered load a listener sustains (issue 30): both sides get the same writers at the same
 * offered rate, so the comparison is of the listeners at equal load, not of who wins the cores at full speed.
 *
 * <p>A rate is sustained when, over the measured window, the writers reached it (at least 0.95x the offered
 * rate: otherwise the machine, not the listener, is the limit), end-to-end was at least 0.98x the writers' rate,
 * and the backlog at the end is below half a second of offered load (it did not grow). The search doubles from
 * {@code start} until a rate fails, then bisects until the bracket is within 10%; it returns the highest rate that
 * passed.
 */
final class Sustained {

  /** One probe of the search. */
  record Step(double offered, Live.Result result, boolean sustained) {}

  /** A search's outcome: the highest sustained rate, and every step on the way. */
  record Outcome(double rate, List<Step> steps) {}

  private final Live live;
  private final int maxSteps;

  Sustained(Live live, int maxSteps) {
    this.live = live;
    this.maxSteps = maxSteps;
  }

  static boolean sustained(double offered, Live.Result r) {
    return r.writerRate() >= 0.95 * offered
        && r.e2eRate() >= 0.98 * r.writerRate()
        && r.backlogEnd() <= Math.max(r.rowsPerTx(), offered / 2);
  }

  /**
   * @param asLeft run every step on the notification table as the previous one left it (see {@link
   *     Live#run(Consumer.Impl, int, double, boolean)})
   */
  Outcome search(Consumer.Impl impl, int rowsPerTx, double start, boolean asLeft) throws Exception {
    List<Step> steps = new ArrayList<>();
    double passed = 0;
    double failed = Double.POSITIVE_INFINITY;
    double rate = start;
    for (int i = 0; i < maxSteps; i++) {
      Live.Result r = live.run(impl, rowsPerTx, rate, asLeft);
      boolean ok = sustained(rate, r);
      steps.add(new Step(rate, r, ok));
      System.out.println(String.format(Locale.ROOT,
          "    %s %,.0f rows/s offered: writers %,.0f, end-to-end %,.0f, backlog at end %,d -> %s",
          impl, rate, r.writerRate(), r.e2eRate(), r.backlogEnd(), ok ? "sustained" : "not sustained"));
      if (ok) {
        passed = rate;
      } else {
        failed = rate;
      }
      if (failed != Double.POSITIVE_INFINITY && (passed > 0 ? failed / passed <= 1.10 : rate < start / 8)) {
        break;
      }
      rate = failed == Double.POSITIVE_INFINITY ? rate * 2 : passed > 0 ? (passed + failed) / 2 : failed / 2;
      rate = Math.round(rate / 100.0) * 100.0; // whole hundreds: readable, and identical across sides
    }
    return new Outcome(passed, steps);
  }

  /** The median of an odd or even count (the mean of the two middle values). */
  static double median(List<Double> values) {
    List<Double> v = new ArrayList<>(values);
    v.sort(Double::compare);
    int n = v.size();
    return n % 2 == 1 ? v.get(n / 2) : (v.get(n / 2 - 1) + v.get(n / 2)) / 2;
  }

  /** "min-max" of the values, formatted like the report's figures. */
  static String spread(List<Double> values, String format) {
    double min = values.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN);
    double max = values.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
    return String.format(Locale.ROOT, format + "-" + format, min, max);
  }
}
