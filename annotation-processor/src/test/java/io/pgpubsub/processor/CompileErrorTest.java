package io.pgpubsub.processor;

import static com.google.testing.compile.CompilationSubject.assertThat;
import static io.pgpubsub.processor.Fixtures.compile;
import static io.pgpubsub.processor.Fixtures.source;

import com.google.testing.compile.Compilation;
import com.google.testing.compile.Compiler;
import java.nio.file.Path;
import java.util.Map;
import javax.tools.JavaFileObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every compile error: reported on the element at fault, with a code and a fix, and all of them in one
 * compilation (the processor keeps going after an error and writes nothing).
 */
class CompileErrorTest {

  /** Stream channels: retention checked at compile time, no listener methods, neither broadcast nor ordered. */
  @Test
  void badStreams() {
    Compilation c = compile("bad/streams", Map.of());
    assertThat(c).failed();
    JavaFileObject badRetain = source("bad/streams", "com/example/streams/BadRetain.java");
    assertThat(c)
        .hadErrorContaining(
            "[PGPUBSUB-031] @TriggerChannel(retain = \"7 days\") of com.example.streams.BadRetain is not a positive"
                + " ISO-8601 duration")
        .inFile(badRetain)
        .onLineContaining("retain = \"7 days\"");
    assertThat(c)
        .hadErrorContaining("[PGPUBSUB-032] @TriggerChannel(retainCount = -1) of com.example.streams.BadRetain is negative")
        .inFile(badRetain)
        .onLineContaining("retainCount = -1");
    assertThat(c)
        .hadErrorContaining("[PGPUBSUB-031] @TriggerChannel(retain = \"P1M\") of com.example.streams.MonthRetain")
        .inFile(source("bad/streams", "com/example/streams/MonthRetain.java"))
        .onLineContaining("retain = \"P1M\"");
    assertThat(c)
        .hadErrorContaining(
            "[PGPUBSUB-033] @TriggerChannel(retain = \"P7D\") of com.example.streams.RetainNoStream has no effect"
                + " without stream = true")
        .inFile(source("bad/streams", "com/example/streams/RetainNoStream.java"))
        .onLineContaining("retain = \"P7D\"");
    JavaFileObject ordered = source("bad/streams", "com/example/streams/OrderedStream.java");
    assertThat(c)
        .hadErrorContaining(
            "[PGPUBSUB-034] channel 'orderedstream' of com.example.streams.OrderedStream is a stream channel"
                + " (stream = true) and lockable = false")
        .inFile(ordered)
        .onLineContaining("stream = true");
    assertThat(c)
        .hadErrorContaining("[PGPUBSUB-034] channel 'orderedstream' of com.example.streams.OrderedStream is a stream"
            + " channel (stream = true) and ordered = true")
        .inFile(ordered)
        .onLineContaining("ordered = true");
    assertThat(c)
        .hadErrorContaining(
            "[PGPUBSUB-035] listener com.example.streams.OrderListeners#onSave(Order,Order) (@PostSaveListener) listens to channel"
                + " 'orders', a stream channel (@TriggerChannel(stream = true) on com.example.streams.Order)")
        .inFile(source("bad/streams", "com/example/streams/OrderListeners.java"))
        .onLineContaining("@PostSaveListener");
    assertThat(c).hadErrorContaining("read them with a named io.pgpubsub.StreamConsumer");
    assertThat(c).hadErrorContaining("HibernatePubSub.streamChanges(sessionFactory, Order.class)");
    assertThat(c).hadErrorCount(7);
  }

  @Test
  void badChannels() {
    Compilation c = compile("bad/channels", Map.of());
    assertThat(c).failed();
    assertThat(c)
        .hadErrorContaining("[PGPUBSUB-001] @TriggerChannel on com.example.bad.NotAnEntity, which is not a JPA entity")
        .inFile(source("bad/channels", "com/example/bad/NotAnEntity.java"))
        .onLineContaining("@TriggerChannel");
    assertThat(c)
        .hadErrorContaining("[PGPUBSUB-002] @Channel on com.example.bad.NotARecord, which is not a record")
        .inFile(source("bad/channels", "com/example/bad/NotARecord.java"))
        .onLineContaining("@Channel");
    assertThat(c)
        .hadErrorContaining(
            "[PGPUBSUB-003] channel name 'a_channel_name_that_is_sixty_four_bytes_long_which_is_one_too_many'")
        .inFile(source("bad/channels", "com/example/bad/TooLong.java"))
        .onLineContaining("name = \"a_channel_name");
    assertThat(c)
        .hadErrorContaining("[PGPUBSUB-003] channel name 'order items' of com.example.bad.BadChars is not valid")
        .inFile(source("bad/channels", "com/example/bad/BadChars.java"))
        .onLineContaining("@TriggerChannel");
    assertThat(c)
        .hadErrorContaining(
            "[PGPUBSUB-004] channel name 'shared' of com.example.bad.Second is also the channel name of"
                + " com.example.bad.First")
        .inFile(source("bad/channels", "com/example/bad/Second.java"))
        .onLineContaining("name = \"shared\"");
    assertThat(c)
        .hadErrorContaining("[PGPUBSUB-004] channel name 'shared' of com.example.bad.First")
        .inFile(source("bad/channels", "com/example/bad/First.java"))
        .onLineContaining("name = \"shared\"");
    JavaFileObject columns = source("bad/channels", "com/example/bad/Columns.java");
    assertThat(c)
        .hadErrorContaining(
            "[PGPUBSUB-005] @TriggerChannel(watchColumns) names column 'no_such_column', which"
                + " com.example.bad.Columns does not map to table \"columns\": use one of its columns [id,"
                + " pass_word, title]")
        .inFile(columns)
        .onLineContaining("no_such_column");
    assertThat(c)
        .hadErrorContaining("[PGPUBSUB-005] @TriggerChannel(excludeColumns) names column 'secret'")
        .inFile(columns)
        .onLineContaining("\"secret\"");
    assertThat(c)
        .hadWarningContaining("[PGPUBSUB-021] watchColumns of com.example.bad.Columns has no effect")
        .inFile(columns)
        .onLineContaining("@TriggerChannel");
    assertThat(c)
        .hadErrorContaining(
            "[PGPUBSUB-025] channel 'quietbroadcast' of com.example.bad.QuietBroadcast is a broadcast channel"
                + " (lockable = false), whose events travel in the NOTIFY: pgNotify = false is for lockable"
                + " channels only")
        .inFile(source("bad/channels", "com/example/bad/QuietBroadcast.java"))
        .onLineContaining("@TriggerChannel");
    assertThat(c)
        .hadErrorContaining(
            "[PGPUBSUB-027] channel 'orderedbroadcast' of com.example.bad.OrderedBroadcast is ordered but a"
                + " broadcast channel (lockable = false)")
        .inFile(source("bad/channels", "com/example/bad/OrderedBroadcast.java"))
        .onLineContaining("ordered = true");
    assertThat(c)
        .hadErrorContaining(
            "[PGPUBSUB-027] channel 'ordered_record_broadcast' of com.example.bad.OrderedRecordBroadcast is ordered")
        .inFile(source("bad/channels", "com/example/bad/OrderedRecordBroadcast.java"))
        .onLineContaining("@Channel");
    assertThat(c)
        .hadErrorContaining(
            "[PGPUBSUB-028] @TriggerChannel(orderKey = \"customer\") of com.example.bad.OrderKeys names no attribute"
                + " or column of table \"orderkeys\": use one of its columns [customerid, id]")
        .inFile(source("bad/channels", "com/example/bad/OrderKeys.java"))
        .onLineContaining("orderKey = \"customer\"");
    assertThat(c)
        .hadErrorContaining(
            "[PGPUBSUB-029] @TriggerChannel(orderKey = \"customerId\") of com.example.bad.KeyWithoutOrder has no"
                + " effect without ordered = true")
        .inFile(source("bad/channels", "com/example/bad/KeyWithoutOrder.java"))
        .onLineContaining("orderKey");
    assertThat(c).hadErrorCount(13);
  }

  @Test
  void badListeners() {
    Compilation c = compile("bad/listeners", Map.of());
    assertThat(c).failed();
    JavaFileObject f = source("bad/listeners", "com/example/bad/Listeners.java");
    String id = "com.example.bad.Listeners#";
    assertThat(c)
        .hadErrorContaining("[PGPUBSUB-006] listener " + id + "returnsSomething(Thing) returns java.lang.String")
        .inFile(f)
        .onLineContaining("returnsSomething(");
    assertThat(c)
        .hadErrorContaining(
            "[PGPUBSUB-007] parameter 'text' of listener " + id + "takesAString(Thing,String) has type"
                + " java.lang.String, which a listener cannot take")
        .inFile(f)
        .onLineContaining("String text");
    assertThat(c)
        .hadErrorContaining("[PGPUBSUB-008] listener " + id + "takesNoEntity(Delivery) has no parameter of a channel type")
        .inFile(f)
        .onLineContaining("takesNoEntity(");
    assertThat(c)
        .hadErrorContaining("[PGPUBSUB-009] listener " + id + "takesThree(Thing,Thing,Thing) takes 3 parameters")
        .inFile(f)
        .onLineContaining("Thing b, Thing c");
    assertThat(c)
        .hadErrorContaining(
            "[PGPUBSUB-010] listener " + id + "takesTwoEntities(Thing,Other) takes both com.example.bad.Thing and"
                + " com.example.bad.Other")
        .inFile(f)
        .onLineContaining("Other other");
    assertThat(c)
        .hadErrorContaining(
            "[PGPUBSUB-011] listener " + id + "listensToUnchanneled(Unchanneled) listens to"
                + " com.example.bad.Unchanneled, which is not a channel: annotate com.example.bad.Unchanneled with"
                + " @TriggerChannel")
        .inFile(f)
        .onLineContaining("Unchanneled u");
    assertThat(c)
        .hadErrorContaining(
            "[PGPUBSUB-012] listener " + id + "channelListenerOnEntity(Thing) is annotated @ChannelListener but"
                + " takes the @TriggerChannel entity com.example.bad.Thing")
        .inFile(f)
        .onLineContaining("@ChannelListener");
    assertThat(c)
        .hadErrorContaining(
            "[PGPUBSUB-012] listener " + id + "entityListenerOnRecord(Event) is annotated @PostInsertListener but"
                + " takes the @Channel record com.example.bad.Event: annotate it with @ChannelListener")
        .inFile(f)
        .onLineContaining("@PostInsertListener // on a record");
    assertThat(c)
        .hadErrorContaining(
            "[PGPUBSUB-013] listener " + id + "isPrivate(Thing) cannot be called by the generated registry"
                + " com.example.bad.PgPubSubChannels: method isPrivate is private")
        .inFile(f)
        .onLineContaining("isPrivate(");
    assertThat(c)
        .hadErrorContaining(
            "[PGPUBSUB-014] listener " + id + "neverRuns(Thing) (@PostDeleteListener) would never run: channel"
                + " 'thing' captures only [INSERT, UPDATE]; add [DELETE] to @TriggerChannel(operations = ...)")
        .inFile(f)
        .onLineContaining("@PostDeleteListener");
    assertThat(c)
        .hadErrorContaining(
            "[PGPUBSUB-015] method " + id + "twoAnnotations has several listener annotations"
                + " (@PostInsertListener, @PostUpdateListener)")
        .inFile(f)
        .onLineContaining("public void twoAnnotations");
    assertThat(c)
        .hadErrorContaining("[PGPUBSUB-016] listener " + id + "throwsThrowable(Thing) declares 'throws java.lang.Throwable'")
        .inFile(f)
        .onLineContaining("throwsThrowable(");
    assertThat(c)
        .hadErrorContaining("[PGPUBSUB-007] parameter 'count' of listener " + id + "primitive(Thing,int) has type int")
        .inFile(f)
        .onLineContaining("int count");
    assertThat(c)
        .hadErrorContaining(
            "[PGPUBSUB-022] listener com.example.bad.Listeners.Inner#inInnerClass(Thing) is declared in the inner"
                + " class com.example.bad.Listeners.Inner")
        .inFile(f)
        .onLineContaining("inInnerClass(");
    assertThat(c).hadErrorCount(14);
  }

  @Test
  void typesAndListenersTheRegistryCannotReach() {
    Compilation c = compile("bad/access", Map.of());
    assertThat(c).failed();
    assertThat(c)
        .hadErrorContaining(
            "[PGPUBSUB-017] com.example.a.Hidden cannot be referenced by the generated registry"
                + " com.example.PgPubSubChannels: class com.example.a.Hidden is not public; make it public, or"
                + " generate the registry into its package with -Apgpubsub.registry=com.example.a.PgPubSubChannels")
        .inFile(source("bad/access", "com/example/a/Hidden.java"))
        .onLineContaining("@TriggerChannel");
    JavaFileObject listeners = source("bad/access", "com/example/b/PackageListeners.java");
    assertThat(c)
        .hadErrorContaining(
            "[PGPUBSUB-013] listener com.example.b.PackageListeners#onSave(Visible) cannot be called by the"
                + " generated registry com.example.PgPubSubChannels: class com.example.b.PackageListeners is not"
                + " public")
        .inFile(listeners)
        .onLineContaining("void onSave(");
    assertThat(c)
        .hadErrorContaining(
            "[PGPUBSUB-013] listener com.example.b.PackageListeners#notPublic(Visible) cannot be called by the"
                + " generated registry com.example.PgPubSubChannels: class com.example.b.PackageListeners is not"
                + " public")
        .inFile(listeners)
        .onLineContaining("void notPublic(");
    assertThat(c).hadErrorCount(3);
  }

  @Test
  void typesWithoutACommonPackageNeedTheRegistryOption() {
    Compilation c = compile("bad/nopackage", Map.of());
    assertThat(c).failed();
    assertThat(c)
        .hadErrorContaining(
            "[PGPUBSUB-018] the pgpubsub channel and listener types share no package (net.two, org.one)")
        .inFile(source("bad/nopackage", "net/two/Two.java"))
        .onLineContaining("public class Two");
    assertThat(c).hadErrorCount(1);
    assertThat(compile("bad/nopackage", Map.of("pgpubsub.registry", "org.Channels"))).succeeded();
  }

  @Test
  void listenerOfAChannelCompiledInAnotherModule(@TempDir Path otherModule) throws Exception {
    Fixtures.writeClassOutput(Fixtures.compileOk("good/broadcast"), otherModule);
    Compilation c =
        Compiler.javac()
            .withProcessors(new PgPubSubProcessor())
            .withClasspath(Fixtures.classPathWith(otherModule))
            .compile(Fixtures.sources("bad/elsewhere"));
    assertThat(c).failed();
    assertThat(c)
        .hadErrorContaining(
            "[PGPUBSUB-024] listener com.example.quotes.listeners.QuoteListeners#onQuote(Quote) listens to"
                + " com.example.quotes.Quote, whose channel is compiled in another module")
        .inFile(source("bad/elsewhere", "com/example/quotes/listeners/QuoteListeners.java"))
        .onLineContaining("Quote quote");
    assertThat(c).hadErrorCount(1);
  }

  @Test
  void badOptions() {
    Compilation c =
        compile(
            "good/plain",
            Map.of(
                "pgpubsub.registry", "NoPackage",
                "pgpubsub.schema", "s".repeat(64),
                "pgpubsub.naming", "kebab",
                "pgpubsub.globallyQuotedIdentifiers", "yes",
                "pgpubsub.installScript", "install.txt"));
    assertThat(c).failed();
    assertThat(c).hadErrorContaining("[PGPUBSUB-019] processor option -Apgpubsub.registry=NoPackage is not valid");
    assertThat(c)
        .hadErrorContaining(
            "[PGPUBSUB-019] processor option -Apgpubsub.schema=" + "s".repeat(64) + " is not valid: it is 64 bytes"
                + " long in UTF-8 (PostgreSQL names have at most 63)");
    assertThat(c).hadErrorContaining("[PGPUBSUB-019] processor option -Apgpubsub.naming=kebab is not valid");
    assertThat(c)
        .hadErrorContaining("[PGPUBSUB-019] processor option -Apgpubsub.globallyQuotedIdentifiers=yes is not valid");
    assertThat(c).hadErrorContaining("[PGPUBSUB-019] processor option -Apgpubsub.installScript=install.txt");
    assertThat(c).hadErrorCount(5);
  }
}
