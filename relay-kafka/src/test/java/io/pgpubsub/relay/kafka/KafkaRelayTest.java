package io.pgpubsub.relay.kafka;

import io.pgpubsub.relay.AbstractRelayTest;
import io.pgpubsub.testing.TestDatabase;

/**
 * The relay scenarios ({@link AbstractRelayTest}) on a real in-process KRaft broker. The broker-down scenario is
 * skipped: Kafka clients connect to the broker's advertised address, so a TCP proxy cannot cut them.
 */
class KafkaRelayTest extends AbstractRelayTest {

  KafkaRelayTest(TestDatabase db) {
    super(db, new KafkaTestBroker());
  }
}
