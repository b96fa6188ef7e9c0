package io.pgpubsub.processor;

import static com.google.testing.compile.CompilationSubject.assertThat;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.testing.compile.Compilation;
import com.google.testing.compile.Compiler;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.util.Set;
import javax.annotation.processing.AbstractProcessor;
import javax.annotation.processing.RoundEnvironment;
import javax.lang.model.SourceVersion;
import javax.lang.model.element.TypeElement;
import org.junit.jupiter.api.Test;

/**
 * Issue 11, item 9: a listener whose parameter type another processor generates in a later round is
 * registered (deferred, not dropped), together with the channels found in every round; a type that never
 * appears is a clear error on the listener.
 */
class RoundsTest {

  /** Generates the plain channel record com.example.rounds.ShipmentAudit in its first round. */
  static final class AuditGenerator extends AbstractProcessor {
    private boolean done;

    @Override
    public Set<String> getSupportedAnnotationTypes() {
      return Set.of("*");
    }

    @Override
    public SourceVersion getSupportedSourceVersion() {
      return SourceVersion.latestSupported();
    }

    @Override
    public boolean process(Set<? extends TypeElement> annotations, RoundEnvironment round) {
      if (!done) {
        done = true;
        try (Writer w = processingEnv.getFiler().createSourceFile("com.example.rounds.ShipmentAudit").openWriter()) {
          w.write(
              "package com.example.rounds;\n@io.pgpubsub.Channel\npublic record ShipmentAudit(long id, String what) {}\n");
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
      return false;
    }
  }

  @Test
  void aListenerOfATypeGeneratedInALaterRoundIsRegisteredWithEveryChannel() {
    Compilation c =
        Compiler.javac()
            .withProcessors(new PgPubSubProcessor(), new AuditGenerator())
            .compile(Fixtures.sources("good/rounds"));
    assertThat(c).succeededWithoutWarnings();
    String registry = Fixtures.generatedSource(c, "com.example.rounds.PgPubSubChannels");
    assertThat(registry)
        .contains("\"shipment\"")
        .contains("\"shipment_audit\"")
        .contains("RoundListeners.onShipment(")
        .contains("RoundListeners.onAudit(invocation.newValue(ShipmentAudit.class))");
  }

  @Test
  void aParameterTypeThatNeverAppearsIsAnErrorOnTheListener() {
    Compilation c =
        Compiler.javac().withProcessors(new PgPubSubProcessor()).compile(Fixtures.sources("bad/rounds"));
    assertThat(c).failed();
    assertThat(c)
        .hadErrorContaining(
            "listener com.example.rounds.Missing#onNothing: its parameter type NeverGenerated does not exist")
        .inFile(Fixtures.source("bad/rounds", "com/example/rounds/Missing.java"))
        .onLineContaining("onNothing");
  }
}
