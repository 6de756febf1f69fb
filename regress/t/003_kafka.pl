# The shipper end to end: a private PostgreSQL with the EMP sample tables,
# the mock Kafka cluster, the installed cellcdc-shipper, and kcat reading
# back what landed: topic names, keys, partitions, whole messages against a
# golden file, tombstones, per-key order, and the slot confirmed only over
# acknowledged changes.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Utils;
use ShipperTest;
use Test::More;

my $node = start_node('kafka');
$node->safe_psql('postgres',
	PostgreSQL::Test::Utils::slurp_file("$ENV{TESTDIR}/demo/emp-schema.sql"));

my $prefix = 'emp-test';
my @tables = qw(core_currency clients_client settlements_currencyaccountentry
  payments_payment core_eventlog);
my $mock = start_mock(map { "$prefix.public.$_:6" } @tables);
# a second slot with the same changes, for sink=stdout
$node->safe_psql('postgres', "SELECT pg_create_logical_replication_slot('stdout', 'cellcdc')");
my $sh = start_shipper($node, $mock);

# One transaction per step, fixed values, so that the messages are too.
my @workload = (
	q{INSERT INTO core_currency VALUES ('EUR', 'Euro', 2, true), ('JPY', 'Yen', 0, true)},
	q{INSERT INTO clients_client (id, uuid, name, email, metadata, created_at, updated_at)
	  VALUES (1, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'Ada', 'ada@example.com',
	          '{"tier": "gold", "tags": ["x", "y"], "n": 1.50}', '2025-03-01 12:00:00.123456+00',
	          '2025-03-01 12:00:00.5'),
	         (2, 'b0eebc99-9c0b-4ef8-bb6d-6bb9bd380a12', 'Bob "the" Builder', NULL,
	          NULL, '2025-03-02 00:00:00+00', NULL)},
	q{INSERT INTO settlements_currencyaccountentry
	  VALUES (10, 1, 'EUR', 2358.73, -0.01, '2025-03-01', E'line\nbreak', '2025-03-01 23:59:59.999999+00'),
	         (11, 2, 'JPY', 100, NULL, '1969-12-31', NULL, '1999-01-08 04:05:06+00')},
	q{UPDATE clients_client SET status = 'suspended', updated_at = '2025-04-01 00:00:00' WHERE id = 1},
	q{INSERT INTO payments_payment VALUES ('c0eebc99-9c0b-4ef8-bb6d-6bb9bd380a13', 1, 5.00, 0.125,
	  'new', NULL, '\x00ff10')},
	q{UPDATE payments_payment SET state = 'settled', processed_at = '2025-03-05 10:00:00+00'},
	q{DELETE FROM payments_payment},
	q{DELETE FROM settlements_currencyaccountentry WHERE id = 11},
	q{UPDATE core_currency SET code = 'YEN' WHERE code = 'JPY'},
	q{INSERT INTO core_eventlog VALUES ('deploy', '2025-03-01 00:00:00+00')},
	q{SELECT pg_logical_emit_message(true, 'emp', 'hello')},
	q{TRUNCATE core_eventlog});
$node->safe_psql('postgres', $_) for @workload;
my $end = $node->safe_psql('postgres', "SELECT pg_current_wal_lsn() - '0/0'");
wait_until(sub { slot_confirmed($node, 'shipper') >= $end }, 'the slot confirmed up to the workload');

my %messages = map { $_ => kcat_messages($mock, "$prefix.public.$_") } @tables;
my $meta = kcat($mock, '-L');
my @topics = sort($meta =~ /topic "([^"]+)"/g);
is_deeply(\@topics,
	[ sort(map("$prefix.public.$_", @tables), "$prefix.message", 'cellcdc-offsets') ],
	'one topic per table, named prefix.schema.table, the message topic and the slot record');

# keys land where the Java client's partitioner puts them
my ($placed, $misplaced) = (0, 0);
for my $t (@tables)
{
	for my $m (@{ $messages{$t} })
	{
		next unless defined $m->{key};
		murmur2_partition($m->{key}, 6) == $m->{partition} ? $placed++ : $misplaced++;
	}
}
ok($placed > 10 && $misplaced == 0, "every keyed message is in its murmur2 partition ($placed)");
ok((grep { !defined $_->{key} } @{ $messages{core_eventlog} }) == 1,
	'a table without a key gets null keys');
my @keyless = grep { !defined $_->{key} } map { @{ $messages{$_} } } @tables;
ok(@keyless && !grep({ $_->{partition} != 0 } @keyless),
	'messages without a key go to partition 0, where a restart looks for them');

# per key: c, u, then d and its tombstone, in offset order
my @payment = @{ $messages{payments_payment} };
is(scalar(@payment), 4, 'payment: create, update, delete, tombstone');
is_deeply([ map { defined $_->{value} ? ($_->{value} =~ /"op":"(\w)"/)[0] : 'tombstone' } @payment ],
	[ 'c', 'u', 'd', 'tombstone' ], 'in order');
is($payment[3]{key}, $payment[2]{key}, 'the tombstone has the key of the delete');
ok(!defined $payment[3]{value}, 'and a null value');
ok($payment[1]{value} =~ /"before":\{.*"state":"new"/, 'REPLICA IDENTITY FULL: update has the old row');

# a primary key change: delete (newkey header), tombstone, create (oldkey header)
my @yen = in_commit_order(grep { ($_->{key} // '') =~ /JPY|YEN/ } @{ $messages{core_currency} });
is_deeply([ map { defined $_->{value} ? ($_->{value} =~ /"op":"(\w)"/)[0] : 'tombstone' } @yen ],
	[ 'c', 'd', 'tombstone', 'c' ], 'a key change is create, delete, tombstone, create');

# whole messages, in commit order, against the golden file
my @all = map { my $t = $_; map { { %$_, topic => "$prefix.public.$t" } } @{ $messages{$t} } } @tables;
push @all, map { { %$_, topic => "$prefix.message" } } @{ kcat_messages($mock, "$prefix.message") };
@all = in_commit_order(@all);
# (where null keys go is checked above)
my $got = join('', map {
	"$_->{topic} " . (defined $_->{key} ? $_->{partition} : 'any') . "\n"
	  . normalize($_->{key}) . "\n" . normalize($_->{value}) . "\n\n"
} @all);
is_golden('003_kafka.out', $got, 'every message equals the golden file');

is(stop_shipper($sh), 0, 'SIGTERM: the shipper stops cleanly');
like($sh->{err}, qr/stopped: \d+ messages/, 'and says what it did');

# sink=stdout: the same messages, one JSON line each, without Kafka
my $out = start_shipper($node, undef, 'slot.name' => 'stdout', sink => 'stdout');
wait_until(sub { $out->{run}->pump_nb; slot_confirmed($node, 'stdout') >= $end },
	'the stdout slot confirmed');
is(stop_shipper($out), 0, 'sink=stdout stops cleanly');
my @lines = split /\n/, $out->{out};
my $stdout_got = join('', map {
	/^\{"topic":"([^"]+)","key":(.*),"headers":\{"cellcdc.commit_lsn":"\d+","cellcdc.seq":"\d+"(?:,"__debezium\.\w+":\{.*?\}\})?\},"value":(.*)\}$/
	  ? "$1 " . ($2 eq 'null' ? 'any' : 'p') . "\n" . normalize($2 eq 'null' ? undef : $2) . "\n"
	  . normalize($3 eq 'null' ? undef : $3) . "\n\n"
	  : "unparsed line: $_\n"
} @lines);
(my $kafka_got = $got) =~ s/^(\S+) \d+$/$1 p/mg;
is($stdout_got, $kafka_got, 'sink=stdout prints exactly what went to Kafka, in order');

$node->stop;
mock_control($mock, 'quit');
done_testing();
