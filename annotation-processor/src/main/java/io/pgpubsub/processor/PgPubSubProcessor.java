package io.pgpubsub.processor;

import io.pgpubsub.processor.internal.ChannelModel;
import io.pgpubsub.processor.internal.DdlWriter;
import io.pgpubsub.processor.internal.Kind;
import io.pgpubsub.processor.internal.ListenerModel;
import io.pgpubsub.processor.internal.Message;
import io.pgpubsub.processor.internal.Names;
import io.pgpubsub.processor.internal.Options;
import io.pgpubsub.processor.internal.Plan;
import io.pgpubsub.processor.internal.Plan.ChannelPlan;
import io.pgpubsub.processor.internal.RegistryWriter;
import io.pgpubsub.processor.internal.Reporter;
import io.pgpubsub.processor.internal.Scanner;
import io.pgpubsub.processor.internal.Validator;
import io.pgpubsub.processor.internal.Where;
import java.io.IOException;
import java.io.InputStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import javax.annotation.processing.AbstractProcessor;
import javax.annotation.processing.Filer;
import javax.annotation.processing.ProcessingEnvironment;
import javax.annotation.processing.RoundEnvironment;
import javax.lang.model.SourceVersion;
import javax.lang.model.element.Element;
import javax.lang.model.element.ElementKind;
import javax.lang.model.element.ExecutableElement;
import javax.lang.model.element.TypeElement;
import javax.tools.FileObject;
import javax.tools.StandardLocation;

/**
 * The pgpubsub annotation processor: {@code @TriggerChannel} entities become trigger DDL resources, and
 * channels with their listener methods become a generated {@code io.pgpubsub.spi.ChannelRegistry}.
 *
 * <p>The round that finds the annotated sources (the first) scans them into model records, validates the
 * whole model and, when nothing is wrong, writes it: per-channel DDL, the combined install script, the
 * registry source and its {@code META-INF/services} entry. Options: see {@link Options}.
 */
public final class PgPubSubProcessor extends AbstractProcessor {

  private Reporter reporter;
  private Options options;
  private Scanner scanner;
  private final List<ChannelModel> channels = new ArrayList<>();
  private final List<ListenerModel> listeners = new ArrayList<>();
  private final Set<Element> seenMethods = new HashSet<>();
  private boolean written;

  @Override
  public Set<String> getSupportedAnnotationTypes() {
    Set<String> names = new LinkedHashSet<>();
    names.add(Names.TRIGGER_CHANNEL);
    names.add(Names.CHANNEL);
    for (Kind k : Kind.values()) {
      names.add(k.annotation());
    }
    return names;
  }

  @Override
  public Set<String> getSupportedOptions() {
    return new TreeSet<>(Options.ALL);
  }

  @Override
  public SourceVersion getSupportedSourceVersion() {
    return SourceVersion.latestSupported();
  }

  @Override
  public synchronized void init(ProcessingEnvironment env) {
    super.init(env);
    reporter = new Reporter(env.getMessager());
    options =
        Options.parse(
            env.getOptions(), reporter, name -> env.getElementUtils().getTypeElement(name) != null);
    scanner = new Scanner(env.getElementUtils(), env.getTypeUtils(), options, reporter);
  }

  @Override
  public boolean process(Set<? extends TypeElement> annotations, RoundEnvironment round) {
    try {
      if (!round.processingOver()) {
        List<Element> found = scan(round);
        if (!found.isEmpty() && !written) {
          // Write in the round that found them, not at processingOver: a source created in the last round
          // draws a javac warning in every user's build. Channels and listeners live in hand-written sources,
          // which are all in the first round.
          written = true;
          finish();
        } else if (!found.isEmpty()) {
          for (Element e : found) {
            reporter.report(Where.of(e), Message.LATE_ROUND, e);
          }
        }
      }
    } catch (Throwable t) {
      reporter.internalError(null, t);
    }
    return false;
  }

  /** Scans this round's annotated elements into the model; returns them. */
  private List<Element> scan(RoundEnvironment round) {
    List<Element> found = new ArrayList<>();
    for (Element e : annotated(round, Names.TRIGGER_CHANNEL)) {
      found.add(e);
      guarded(e, () -> scanner.triggerChannel((TypeElement) e).ifPresent(channels::add));
    }
    for (Element e : annotated(round, Names.CHANNEL)) {
      found.add(e);
      guarded(e, () -> scanner.plainChannel((TypeElement) e).ifPresent(channels::add));
    }
    for (Kind kind : Kind.values()) {
      for (Element e : annotated(round, kind.annotation())) {
        if (e.getKind() == ElementKind.METHOD && seenMethods.add(e)) {
          found.add(e);
          guarded(e, () -> scanner.listener((ExecutableElement) e).ifPresent(listeners::add));
        }
      }
    }
    return found;
  }

  private Set<? extends Element> annotated(RoundEnvironment round, String annotation) {
    TypeElement type = processingEnv.getElementUtils().getTypeElement(annotation);
    return type == null ? Set.of() : round.getElementsAnnotatedWith(type);
  }

  private void guarded(Element element, Runnable work) {
    try {
      work.run();
    } catch (Throwable t) {
      reporter.internalError(element, t);
    }
  }

  private void finish() throws IOException {
    if (channels.isEmpty() && listeners.isEmpty()) {
      return;
    }
    Optional<Plan> validated = new Validator(options, reporter).validate(channels, listeners);
    if (validated.isEmpty() || reporter.hasErrors()) {
      return; // the errors say why; a partial registry would only add follow-up errors
    }
    Plan plan = validated.get();
    Filer filer = processingEnv.getFiler();
    DdlWriter ddl = new DdlWriter(options);
    List<Element> all = new ArrayList<>();
    for (ChannelPlan c : plan.channels()) {
      all.addAll(c.originatingElements());
      if (c.model().trigger()) {
        writeResource(filer, c.ddlResource(), ddl.channelScript(c), c.originatingElements());
      }
    }
    List<String> sources = sources(plan);
    writeResource(
        filer, options.installScript(), ddl.installScript(plan.channels(), notificationTable(), sources), all);
    new RegistryWriter(ddl).write(plan, sources).writeTo(filer);
    writeResource(
        filer,
        "META-INF/services/io.pgpubsub.spi.ChannelRegistry",
        plan.registry().binaryName() + "\n",
        all);
  }

  /** Qualified names of the channel and listener classes, sorted. */
  private static List<String> sources(Plan plan) {
    Set<String> names = new TreeSet<>();
    for (ChannelPlan c : plan.channels()) {
      names.add(c.model().type().canonicalName());
      c.listeners().forEach(l -> names.add(l.model().declaringType().canonicalName()));
    }
    return List.copyOf(names);
  }

  private static void writeResource(Filer filer, String path, String content, List<Element> origins)
      throws IOException {
    FileObject file =
        filer.createResource(StandardLocation.CLASS_OUTPUT, "", path, origins.toArray(new Element[0]));
    try (Writer w = file.openWriter()) {
      w.write(content);
    }
  }

  /** Core's notification table DDL, copied into this jar by the build (one source: core). */
  private static String notificationTable() throws IOException {
    try (InputStream in = PgPubSubProcessor.class.getResourceAsStream("notification-table.sql")) {
      if (in == null) {
        throw new IOException("io/pgpubsub/processor/notification-table.sql is missing from the processor jar");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
