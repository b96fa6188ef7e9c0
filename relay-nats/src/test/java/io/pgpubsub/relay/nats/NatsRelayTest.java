package io.pgpubsub.relay.nats;

import io.pgpubsub.relay.AbstractRelayTest;
import io.pgpubsub.testing.TestDatabase;
import org.junit.jupiter.api.BeforeAll;

/** The relay scenarios ({@link AbstractRelayTest}) on the local NATS JetStream: no duplicate at all. */
class NatsRelayTest extends AbstractRelayTest {

  NatsRelayTest(TestDatabase db) {
    super(db, new NatsTestBroker());
  }

  @BeforeAll
  static void broker() {
    NatsTestBroker.ensureRunning();
  }
}
