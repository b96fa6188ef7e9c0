package io.pgpubsub.benchmarks;

import io.pgpubsub.Schema;
import io.pgpubsub.spi.ChannelDefinition;
import io.pgpubsub.spi.Registries;

/** The {@link BenchEvent} channel as the annotation processor generated it: definition and trigger DDL. */
final class BenchChannel {

  private BenchChannel() {}

  static ChannelDefinition definition() {
    for (ChannelDefinition c : Registries.channels(BenchChannel.class.getClassLoader())) {
      if (c.name().equals(BenchEvent.CHANNEL)) {
        return c;
      }
    }
    // TEMPORARY until the annotation processor lands on main: what it will generate, written by hand.
    return new ChannelDefinition(
        BenchEvent.CHANNEL,
        BenchEvent.class,
        true,
        true,
        null,
        BenchEvent.CHANNEL,
        java.util.Set.of(io.pgpubsub.Operation.INSERT),
        "hand",
        null,
        java.util.List.of(
            new io.pgpubsub.spi.ListenerDefinition(
                "io.pgpubsub.benchmarks.BenchListeners#onInsert(BenchEvent)",
                io.pgpubsub.spi.ListenerKind.POST_INSERT,
                BenchListeners.class,
                false,
                (target, inv) -> ((BenchListeners) target).onInsert(inv.newValue(BenchEvent.class)))));
  }

  /** The generated trigger DDL; both the library and the baseline run on it. */
  static String triggerDdl() {
    ChannelDefinition c = definition();
    return c.ddlResource() != null ? Schema.triggerDdl(c) : HAND_DDL;
  }

  private static final String HAND_DDL =
      "CREATE OR REPLACE FUNCTION \"public\".\"pgpubsub_notify_bench_event\"() RETURNS trigger\n"
          + "LANGUAGE plpgsql AS $pgpubsub$\n"
          + "BEGIN\n"
          + "  INSERT INTO public.pgpubsub_notification (channel, payload)\n"
          + "  VALUES ('bench_event', jsonb_build_object(\n"
          + "    'op', TG_OP, 'schema', NULL, 'table', 'bench_event',\n"
          + "    'old', to_jsonb(OLD), 'new', to_jsonb(NEW),\n"
          + "    'context', COALESCE(NULLIF(current_setting('pgpubsub.notification_context', true), '')::jsonb,"
          + " '{}'::jsonb),\n"
          + "    'v', 'hand'));\n"
          + "  PERFORM pg_notify('bench_event', '');\n"
          + "  RETURN NULL;\n"
          + "END\n"
          + "$pgpubsub$;\n"
          + "DROP TRIGGER IF EXISTS \"pgpubsub_bench_event\" ON \"bench_event\";\n"
          + "CREATE TRIGGER \"pgpubsub_bench_event\" AFTER INSERT ON \"bench_event\"\n"
          + "FOR EACH ROW EXECUTE FUNCTION \"public\".\"pgpubsub_notify_bench_event\"();\n";
}
