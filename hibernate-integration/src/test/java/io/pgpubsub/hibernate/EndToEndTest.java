package io.pgpubsub.hibernate;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgpubsub.Listener;
import io.pgpubsub.Operation;
import io.pgpubsub.RetryPolicy;
import io.pgpubsub.hibernate.Recorder.Event;
import io.pgpubsub.hibernate.model.Address;
import io.pgpubsub.hibernate.model.Animal;
import io.pgpubsub.hibernate.model.Article;
import io.pgpubsub.hibernate.model.AuditEntry;
import io.pgpubsub.hibernate.model.Author;
import io.pgpubsub.hibernate.model.Car;
import io.pgpubsub.hibernate.model.Dog;
import io.pgpubsub.hibernate.model.GeoPoint;
import io.pgpubsub.hibernate.model.Money;
import io.pgpubsub.hibernate.model.OrderLine;
import io.pgpubsub.hibernate.model.OrderLineId;
import io.pgpubsub.hibernate.model.Shipment;
import io.pgpubsub.hibernate.model.Status;
import io.pgpubsub.hibernate.model.Truck;
import io.pgpubsub.hibernate.model.Vehicle;
import io.pgpubsub.testing.PostgresExtension.PostgresTest;
import io.pgpubsub.testing.TestDatabase;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.hibernate.Hibernate;
import org.hibernate.Session;
import org.hibernate.SessionFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * Every mapping through the real generated trigger and the real listener: persist, update and delete with
 * Hibernate, and the callbacks' old/new equal what Hibernate wrote and reads, field by field.
 */
@PostgresTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(120)
class EndToEndTest {

  private static final Duration WAIT = Duration.ofSeconds(30);

  private TestDatabase db;
  private SessionFactory sf;
  private Listener listener;
  private final Recorder recorder = new Recorder();

  @BeforeAll
  void start(TestDatabase db) {
    this.db = db;
    sf =
        TestHibernate.build(
            db,
            Map.of(),
            Article.class,
            Author.class,
            AuditEntry.class,
            OrderLine.class,
            Shipment.class,
            Vehicle.class,
            Car.class,
            Truck.class,
            Animal.class,
            Dog.class);
    listener =
        HibernatePubSub.listener(sf)
            .name("e2e")
            .listenerFactory(type -> recorder)
            .pollInterval(Duration.ofMillis(200))
            .retryPolicy(RetryPolicy.noRetries())
            .build()
            .start();
  }

  @AfterAll
  void stop() {
    if (listener != null) {
      listener.close();
    }
    if (sf != null) {
      sf.close();
    }
  }

  private <T> T load(Class<T> type, Object id) {
    return sf.fromTransaction(
        s -> {
          s.setDefaultReadOnly(true);
          return s.find(type, id);
        });
  }

  private long count(String sql) throws Exception {
    try (Connection c = db.connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static void waitFor(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(20);
    }
  }

  private static void assertSameArticle(Object actual, Article expected) {
    assertThat(actual).isInstanceOf(Article.class);
    Article a = (Article) actual;
    assertThat(a).usingRecursiveComparison().ignoringFields("tags", "author", "body").isEqualTo(expected);
    assertThat(a.body).as("large object: only its oid is in the row").isNull();
    assertThat(a.tags).as("@ElementCollection is not in the row").isEmpty();
    if (expected.author == null) {
      assertThat(a.author).isNull();
    } else {
      assertThat(Hibernate.isInitialized(a.author)).isFalse();
      assertThat(a.author.getId()).isEqualTo(expected.author.getId());
    }
  }

  @Test
  void articleInsertUpdateDeleteCarryOldAndNewAsWritten() throws Exception {
    Article written = EntityRowDecoderTest.fullArticle();
    written.code = "E2E-1";
    sf.inTransaction(
        s -> {
          Author author = new Author(100L, "Ada");
          s.persist(author);
          written.author = author;
          s.persist(written);
        });
    Article afterInsert = load(Article.class, "E2E-1");
    Event inserted = recorder.await(e -> e.method().equals("articleInserted"), WAIT);
    assertThat(inserted.delivery().operation()).isEqualTo(Operation.INSERT);
    assertThat(inserted.delivery().channel()).isEqualTo("article");
    assertThat(inserted.old()).isNull();
    assertSameArticle(inserted.current(), afterInsert);
    assertThat(((Article) inserted.current()).price).isEqualTo("12345678901234567890.123456789012345678");

    sf.inTransaction(
        s -> {
          Article a = s.find(Article.class, "E2E-1");
          a.title = "second title";
          a.price = new BigDecimal("0.000000000000000001");
          a.ordinalStatus = Status.DRAFT;
          a.stringStatus = null;
          a.fee = new Money(new BigDecimal("99.99"), "USD");
          a.address = new Address("3 New St", "99999", "Capital City");
          a.location = null;
          a.keywords = new String[] {};
          a.author = null;
          a.attributes = Map.of("list", List.of(1, 2, 3));
        });
    Article afterUpdate = load(Article.class, "E2E-1");
    Event updated = recorder.await(e -> e.method().equals("articleUpdated"), WAIT);
    assertThat(updated.delivery().operation()).isEqualTo(Operation.UPDATE);
    assertSameArticle(updated.old(), afterInsert);
    assertSameArticle(updated.current(), afterUpdate);
    assertThat(((Article) updated.current()).version).isEqualTo(((Article) updated.old()).version + 1);

    sf.inTransaction(s -> s.remove(s.find(Article.class, "E2E-1")));
    Event deleted = recorder.await(e -> e.method().equals("articleDeleted"), WAIT);
    assertThat(deleted.delivery().operation()).isEqualTo(Operation.DELETE);
    assertThat(deleted.current()).isNull();
    assertSameArticle(deleted.old(), afterUpdate);
  }

  @Test
  void compositeKeysInheritanceAndJoinedSubclasses() throws Exception {
    sf.inTransaction(
        s -> {
          OrderLine line = new OrderLine(new OrderLineId(7L, 1), "gadget", 3);
          s.persist(line);
          Shipment sh = new Shipment();
          sh.carrier = "DHL";
          sh.trackingNumber = "JD0001";
          sh.parcels = 1;
          sh.line = line;
          s.persist(sh);
          Car car = new Car();
          car.id = 50L;
          car.plate = "E2E-CAR";
          car.seats = 2;
          s.persist(car);
          Truck truck = new Truck();
          truck.id = 51L;
          truck.plate = "E2E-TRUCK";
          truck.payloadTons = 40;
          s.persist(truck);
          Dog dog = new Dog();
          dog.id = 60L;
          dog.name = "Laika";
          dog.breed = "mongrel";
          dog.goodBoy = true;
          s.persist(dog);
        });

    Event line = recorder.await(e -> e.method().equals("orderLineSaved"), WAIT);
    assertThat(line.current())
        .usingRecursiveComparison()
        .isEqualTo(new OrderLine(new OrderLineId(7L, 1), "gadget", 3));

    Event shipment = recorder.await(e -> e.method().equals("shipmentSaved"), WAIT);
    Shipment sh = (Shipment) shipment.current();
    assertThat(sh.carrier).isEqualTo("DHL");
    assertThat(sh.trackingNumber).isEqualTo("JD0001");
    assertThat(((org.hibernate.proxy.HibernateProxy) sh.line).getHibernateLazyInitializer().getIdentifier())
        .isEqualTo(new OrderLineId(7L, 1));

    Event car = recorder.await(e -> e.method().equals("vehicleSaved") && ((Vehicle) e.current()).id == 50L, WAIT);
    assertThat(car.current()).isInstanceOf(Car.class);
    assertThat(((Car) car.current()).seats).isEqualTo(2);
    Event truck = recorder.await(e -> e.method().equals("vehicleSaved") && ((Vehicle) e.current()).id == 51L, WAIT);
    assertThat(truck.current()).isInstanceOf(Truck.class);
    assertThat(((Truck) truck.current()).payloadTons).isEqualTo(40.0);

    Event dog = recorder.await(e -> e.method().equals("dogSaved"), WAIT);
    Dog d = (Dog) dog.current();
    assertThat(d.id).isEqualTo(60L);
    assertThat(d.breed).isEqualTo("mongrel");
    assertThat(d.goodBoy).isTrue();
    assertThat(d.name).as("root-table attribute, not in the dog table's row").isNull();

    sf.inTransaction(s -> s.remove(s.find(Vehicle.class, 51L)));
    Event gone = recorder.await(e -> e.method().equals("vehicleDeleted"), WAIT);
    assertThat(gone.old()).isInstanceOf(Truck.class);
    assertThat(((Vehicle) gone.old()).plate).isEqualTo("E2E-TRUCK");
  }

  @Test
  void callbackWritesThroughItsSessionCommitOrRollBackWithTheNotification() throws Exception {
    sf.inTransaction(s -> s.persist(new Author(200L, "fine")));
    Event ok = recorder.await(e -> e.method().equals("authorSaved") && ((Author) e.current()).id == 200L, WAIT);
    long okId = ok.delivery().id();
    waitFor(
        "the successful notification to leave the table",
        () -> {
          try {
            return count("select count(*) from pgpubsub_notification where id = " + okId) == 0;
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        });
    assertThat(count("select count(*) from audit_entry where notification_id = " + okId)).isEqualTo(1);

    sf.inTransaction(s -> s.persist(new Author(201L, "fail-me")));
    Event failed = recorder.await(e -> e.method().equals("authorSaved") && ((Author) e.current()).id == 201L, WAIT);
    long failedId = failed.delivery().id();
    waitFor(
        "the failed notification to be dead-lettered",
        () -> {
          try {
            return count("select count(*) from pgpubsub_notification where dead_at is not null and id = " + failedId) == 1;
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        });
    assertThat(count("select count(*) from audit_entry where notification_id = " + failedId))
        .as("the failing callback's write rolled back with it")
        .isZero();
    assertThat(count("select count(*) from pgpubsub_notification where id = " + failedId))
        .as("the notification stays (dead) after a failure")
        .isEqualTo(1);
  }

  @Test
  void contextArrivesAndDoesNotLeakIntoTheNextTransactionOfTheConnection() throws Exception {
    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      try (Session s = sf.withOptions().connection(c).openSession()) {
        s.beginTransaction();
        HibernatePubSub.setContext(s, Map.of("tenant", "acme", "user", 42));
        s.persist(new Author(300L, "with context"));
        s.getTransaction().commit();

        s.beginTransaction();
        s.persist(new Author(301L, "without context"));
        s.getTransaction().commit();
      }
      try (Statement st = c.createStatement();
          ResultSet rs = st.executeQuery("select current_setting('pgpubsub.notification_context', true)")) {
        rs.next();
        assertThat(rs.getString(1)).as("nothing left on the connection").isNullOrEmpty();
      }
      c.rollback();
    }
    Event with = recorder.await(e -> e.method().equals("authorSaved") && ((Author) e.current()).id == 300L, WAIT);
    assertThat(with.delivery().context()).containsEntry("tenant", "acme").containsEntry("user", 42);
    Event without = recorder.await(e -> e.method().equals("authorSaved") && ((Author) e.current()).id == 301L, WAIT);
    assertThat(without.delivery().context()).isEmpty();
  }
}
