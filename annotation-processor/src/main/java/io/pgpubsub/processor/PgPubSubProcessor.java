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
import java.util.Map;
import java.util.TreeMap;
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
import javax.lang.model.type.TypeKind;
import javax.lang.model.util.ElementFilter;
import javax.tools.FileObject;
import javax.tools.StandardLocation;

/**
 * The pgpubsub annotation processor: {@code @TriggerChannel} entities become trigger DDL resources, and
 * channels with their listener methods become a generated {@code io.pgpubsub.spi.ChannelRegistry}.
 *
 * <p>Every round's annotated elements are scanned into model records, which accumulate across rounds. A
 * listener whose parameter type does not exist yet (another processor generates it in a later round) is
 * deferred to the next round, and reported if it never resolves. The accumulated model is validated and
 * written in the first round in which nothing is deferred: per-channel DDL, the combined install script, the
 * registry source and its {@code META-INF/services} entry. Not at {@code processingOver()}: a source created
 * in the last round draws a javac warning in every user's build, and the registry is a source. Options: see
 * {@link Options}.
 *
 * <p>Partial recompiles: an IDE (IntelliJ, Eclipse) or an incremental build recompiles only the changed
 * sources, with the previous class output on the class path and as the class output. The processor then sees
 * only those sources, so it also writes an index of the types the registry was made from
 * ({@value #INDEX}) and reads the previous one back from the class output on the next run. An indexed type
 * that is not compiled from source this time is scanned again from its class file, where its annotations
 * are visible ({@code @TriggerChannel} and {@code @Channel} have RUNTIME retention, the listener annotations
 * CLASS, the Jakarta Persistence annotations RUNTIME) along with its fields and methods, so its DDL and
 * registry entry are re-derived exactly as a full build derives them, rather than copied from an older
 * output. An indexed type that no longer exists, or no longer carries a pgpubsub annotation, drops out.
 */
public final class PgPubSubProcessor extends AbstractProcessor {

  private Reporter reporter;
  private Options options;
  private Scanner scanner;
  private final List<ChannelModel> channels = new ArrayList<>();
  private final List<ListenerModel> listeners = new ArrayList<>();
  /** Listener methods already scanned, by owner#name(parameter types), stable across rounds. */
  private final Set<String> seenMethods = new HashSet<>();
  /** Listener methods whose parameter types do not resolve yet: owner type name -> method keys. */
  private final Map<String, Set<String>> deferred = new TreeMap<>();
  private boolean written;

  /**
   * The types the last registry of this class output was made from, one per line ({@code type
   * <canonical name>}); read back on the next compilation into the same class output.
   */
  static final String INDEX = "META-INF/pgpubsub/channels.idx";

  /** Types named by the previous build's index (empty on a clean build). */
  private List<String> previous = List.of();
  /** Whether the previous index has been merged into the model. */
  private boolean merged;
  /** Types compiled from source in this compilation (every round's root elements, nested types too). */
  private final Set<String> compiledTypes = new HashSet<>();
  /** Types whose model was taken from their class files through the previous index. */
  private final Set<String> fromIndex = new HashSet<>();

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
    previous = readIndex(env.getFiler());
  }

  @Override
  public boolean process(Set<? extends TypeElement> annotations, RoundEnvironment round) {
    try {
      if (round.processingOver()) {
        reportNeverResolved();
        if (!written && deferred.isEmpty() && !reporter.hasErrors()) {
          written = true;
          finish();
        }
        return false;
      }
      for (Element root : round.getRootElements()) {
        addCompiledTypes(root);
      }
      List<Element> found = scan(round);
      retryDeferred();
      if (written) {
        for (Element e : found) {
          if (!fromIndex.contains(typeOf(e))) {
            reporter.report(Where.of(e), Message.LATE_ROUND, e);
          }
        }
        return false;
      }
      // Where the previous index joins in, and so the round the registry is written in: the first round in
      // which nothing is deferred, as for a clean build, never processingOver(). A source created in the last
      // round draws javac's "created in the last round will not be subject to annotation processing"
      // warning, which fails -Werror builds, and the registry is a source. Merging here rather than in the
      // first round also lets a type that another processor generated only in a later round (PGPUBSUB-026's
      // deferral) count as compiled from source. A type taken from its class file in this round and
      // generated again as a source in a later one is the previous build's output of that same processor:
      // before the registry is written its source replaces the class file's model (see scan), after it is
      // no late-round error (see above).
      if (deferred.isEmpty() && !merged) {
        merged = true;
        mergePrevious();
      }
      if (deferred.isEmpty() && (!channels.isEmpty() || !listeners.isEmpty())) {
        written = true;
        finish();
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
      replaceIndexed(typeOf(e));
      guarded(e, () -> scanner.triggerChannel((TypeElement) e).ifPresent(channels::add));
    }
    for (Element e : annotated(round, Names.CHANNEL)) {
      found.add(e);
      replaceIndexed(typeOf(e));
      guarded(e, () -> scanner.plainChannel((TypeElement) e).ifPresent(channels::add));
    }
    for (Kind kind : Kind.values()) {
      for (Element e : annotated(round, kind.annotation())) {
        if (e.getKind() == ElementKind.METHOD) {
          found.add(e);
          replaceIndexed(typeOf(e));
          listenerMethod((ExecutableElement) e);
        }
      }
    }
    return found;
  }

  /**
   * Adds the still-valid types of the previous index to the model: those not compiled from source in this
   * compilation (the round scan has those), that still exist (a deleted class file drops its type) and that
   * still carry {@code @TriggerChannel}, {@code @Channel} or a listener method. They are scanned from their
   * class files by the same code as sources.
   */
  private void mergePrevious() {
    for (String name : previous) {
      if (compiledTypes.contains(name)) {
        continue;
      }
      TypeElement type = processingEnv.getElementUtils().getTypeElement(name);
      if (type == null) {
        continue; // deleted
      }
      boolean any = false;
      if (has(type, Names.TRIGGER_CHANNEL)) {
        any = true;
        guarded(type, () -> scanner.triggerChannel(type).ifPresent(channels::add));
      } else if (has(type, Names.CHANNEL)) {
        any = true;
        guarded(type, () -> scanner.plainChannel(type).ifPresent(channels::add));
      }
      for (ExecutableElement m : ElementFilter.methodsIn(type.getEnclosedElements())) {
        if (isListener(m)) {
          any = true;
          listenerMethod(m);
        }
      }
      if (any) {
        fromIndex.add(name);
      }
    }
  }

  /**
   * Before the registry is written, a type found as a source in a later round replaces the model its class
   * file gave through the previous index (another processor generated it again).
   */
  private void replaceIndexed(String type) {
    if (written || !fromIndex.remove(type)) {
      return;
    }
    channels.removeIf(c -> c.type().canonicalName().equals(type));
    listeners.removeIf(l -> l.declaringType().canonicalName().equals(type));
    seenMethods.removeIf(k -> k.startsWith(type + "#"));
    deferred.remove(type);
  }

  private void addCompiledTypes(Element e) {
    if (e instanceof TypeElement t) {
      compiledTypes.add(t.getQualifiedName().toString());
      for (Element inner : t.getEnclosedElements()) {
        addCompiledTypes(inner);
      }
    }
  }

  /** The canonical name of the channel type, or of the class declaring the listener method. */
  private static String typeOf(Element e) {
    Element t = e instanceof TypeElement ? e : e.getEnclosingElement();
    return ((TypeElement) t).getQualifiedName().toString();
  }

  private static boolean has(Element e, String annotation) {
    for (javax.lang.model.element.AnnotationMirror a : e.getAnnotationMirrors()) {
      if (((TypeElement) a.getAnnotationType().asElement()).getQualifiedName().contentEquals(annotation)) {
        return true;
      }
    }
    return false;
  }

  /**
   * The previous index in the class output, or nothing when there is none (a clean build) or it cannot be
   * read: then the processor knows only this compilation's types, as before the index existed.
   */
  private static List<String> readIndex(Filer filer) {
    try {
      FileObject file = filer.getResource(StandardLocation.CLASS_OUTPUT, "", INDEX);
      List<String> types = new ArrayList<>();
      for (String line : file.getCharContent(true).toString().split("\n")) {
        String l = line.strip();
        if (l.startsWith("type ")) {
          types.add(l.substring("type ".length()).strip());
        }
      }
      return types;
    } catch (IOException | RuntimeException e) {
      return List.of(); // no previous index (FileNotFoundException, NoSuchFileException) or none readable
    }
  }

  /** Scans a listener method once; defers it while one of its parameter types does not exist yet. */
  private void listenerMethod(ExecutableElement method) {
    String owner = ((TypeElement) method.getEnclosingElement()).getQualifiedName().toString();
    String key = key(method);
    if (seenMethods.contains(key)) {
      return;
    }
    if (method.getParameters().stream().anyMatch(p -> p.asType().getKind() == TypeKind.ERROR)) {
      deferred.computeIfAbsent(owner, k -> new TreeSet<>()).add(key);
      return;
    }
    seenMethods.add(key);
    Set<String> waiting = deferred.get(owner);
    if (waiting != null && waiting.remove(key) && waiting.isEmpty()) {
      deferred.remove(owner);
    }
    guarded(method, () -> scanner.listener(method).ifPresent(listeners::add));
  }

  /** Looks again at deferred listener methods: their types may have been generated in this round. */
  private void retryDeferred() {
    for (String owner : List.copyOf(deferred.keySet())) {
      TypeElement type = processingEnv.getElementUtils().getTypeElement(owner);
      if (type == null) {
        continue;
      }
      for (ExecutableElement m : ElementFilter.methodsIn(type.getEnclosedElements())) {
        Set<String> waiting = deferred.get(owner);
        if (waiting != null && isListener(m) && waiting.stream().anyMatch(k -> sameMethod(k, m))) {
          waiting.removeIf(k -> sameMethod(k, m));
          if (waiting.isEmpty()) {
            deferred.remove(owner);
          }
          listenerMethod(m);
        }
      }
    }
  }

  private void reportNeverResolved() {
    for (String owner : deferred.keySet()) {
      TypeElement type = processingEnv.getElementUtils().getTypeElement(owner);
      if (type == null) {
        continue;
      }
      for (ExecutableElement m : ElementFilter.methodsIn(type.getEnclosedElements())) {
        if (isListener(m) && deferred.get(owner).stream().anyMatch(k -> sameMethod(k, m))) {
          String missing =
              m.getParameters().stream()
                  .filter(p -> p.asType().getKind() == TypeKind.ERROR)
                  .map(p -> p.asType().toString())
                  .findFirst()
                  .orElse("?");
          reporter.report(Where.of(m), Message.LISTENER_TYPE_NEVER_RESOLVED, owner + "#" + m.getSimpleName(), missing);
        }
      }
    }
  }

  private boolean isListener(ExecutableElement m) {
    for (javax.lang.model.element.AnnotationMirror a : m.getAnnotationMirrors()) {
      String name = ((TypeElement) a.getAnnotationType().asElement()).getQualifiedName().toString();
      for (Kind k : Kind.values()) {
        if (k.annotation().equals(name)) {
          return true;
        }
      }
    }
    return false;
  }

  /** owner#name(arity): identifies a listener method across rounds (javac re-creates elements each round). */
  private static String key(ExecutableElement m) {
    return ((TypeElement) m.getEnclosingElement()).getQualifiedName() + "#" + m.getSimpleName() + "/"
        + m.getParameters().size() + m.getParameters().stream().map(p -> p.getSimpleName().toString()).toList();
  }

  private static boolean sameMethod(String key, ExecutableElement m) {
    return key.equals(key(m));
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
        filer, options.installScript(), ddl.installScript(plan.channels(), coreDdl("notification-table.sql"), coreDdl("stream-table.sql"), sources), all);
    new RegistryWriter(ddl).write(plan, sources).writeTo(filer);
    writeResource(
        filer,
        "META-INF/services/io.pgpubsub.spi.ChannelRegistry",
        plan.registry().binaryName() + "\n",
        all);
    StringBuilder index =
        new StringBuilder(
            "# pgpubsub: the types " + plan.registry().canonicalName() + " was generated from, read back by the"
                + " processor\n# when only some sources are recompiled into this output (IDE builds). Not used at"
                + " run time.\n");
    sources.forEach(s -> index.append("type ").append(s).append('\n'));
    writeResource(filer, INDEX, index.toString(), all);
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

  /** One of core's DDL templates, copied into this jar by the build (one source: core). */
  private static String coreDdl(String name) throws IOException {
    try (InputStream in = PgPubSubProcessor.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IOException("io/pgpubsub/processor/" + name + " is missing from the processor jar");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
