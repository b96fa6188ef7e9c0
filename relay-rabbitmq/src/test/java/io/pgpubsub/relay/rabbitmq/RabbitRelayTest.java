package io.pgpubsub.relay.rabbitmq;

import io.pgpubsub.relay.AbstractRelayTest;
import io.pgpubsub.testing.TestDatabase;
import org.junit.jupiter.api.BeforeAll;

/** The relay scenarios ({@link AbstractRelayTest}) on the local RabbitMQ. */
class RabbitRelayTest extends AbstractRelayTest {

  RabbitRelayTest(TestDatabase db) {
    super(db, new RabbitTestBroker());
  }

  @BeforeAll
  static void broker() {
    RabbitTestBroker.ensureRunning();
  }
}
