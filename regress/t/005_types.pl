# Every value type and every op, in each Debezium layout and handling mode,
# compared whole with golden files after a trip through Kafka: one slot per
# configuration, all holding the same changes, each shipped by its own
# cellcdc-shipper run and read back with kcat.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Utils;
use ShipperTest;
use Test::More;

my $node = start_node('types');
my $mock = start_mock();

my %runs = (
	default => {},
	v25_txmeta => {
		'debezium.version' => '2.5.4.Final',
		'provide.transaction.metadata' => 'true',
		'key.converter.schemas.enable' => 'false' },
	v27_modes => {
		'debezium.version' => '2.7.1.Final',
		'decimal.handling.mode' => 'string',
		'time.precision.mode' => 'connect',
		'binary.handling.mode' => 'hex',
		'tombstones.on.delete' => 'false',
		'skipped.operations' => 'none',
		'value.converter.schemas.enable' => 'false' },
	v35_modes => {
		'debezium.version' => '3.5.0.Final',
		'decimal.handling.mode' => 'double',
		'time.precision.mode' => 'adaptive_time_microseconds',
		'binary.handling.mode' => 'base64',
		'unavailable.value.placeholder' => 'N/A' });

$node->safe_psql('postgres', q{
	CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
	CREATE DOMAIN posint AS int CHECK (VALUE > 0);
	CREATE TABLE all_types (
		id int PRIMARY KEY,
		b bool, i2 smallint, i4 int NOT NULL DEFAULT 7, i8 bigint, o oid,
		f4 real, f8 double precision,
		n numeric(12, 3), nv numeric, m money,
		c char(5), vc varchar(10), t text DEFAULT 'none', bt bytea,
		d date, tm time, tm3 time(3), ttz timetz,
		ts timestamp, ts3 timestamp(3), tstz timestamptz, tstz0 timestamptz(0), iv interval,
		u uuid, j json, jb jsonb, x xml, e mood, dom posint,
		ip inet, net cidr, mac macaddr, ir int4range, tr tstzrange,
		bit1 bit(1), bits bit(10), vb varbit,
		ai int[], atx text[], big text);
	ALTER TABLE all_types ALTER COLUMN big SET STORAGE EXTERNAL;
	COMMENT ON COLUMN all_types.t IS 'free text';
});
$node->safe_psql('postgres', "SELECT pg_create_logical_replication_slot('$_', 'cellcdc')")
  for sort keys %runs;

my @inserts = (
	q{INSERT INTO all_types VALUES (1,
		true, -32768, 2147483647, -9223372036854775808, 4294967295,
		3.14, 2.718281828459045,
		-123456789.125, 0.000012300, '$1,234.56',
		'ab', 'héllo', E'tab\there "quoted" \\\\ back\u0001ctl ☃', '\xdeadbeef',
		'2025-03-01', '13:45:30.123456', '13:45:30.123', '13:45:30+02',
		'2025-03-01 12:00:00.654321', '2025-03-01 12:00:00.654', '2025-03-01 12:00:00.123456+01', '2025-03-01 12:00:00+00',
		'1 year 2 mons 3 days 04:05:06.5',
		'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"a": [1, 2.50, null]}', '{"b": {"c": true}, "a": "x"}',
		'<r>v</r>', 'happy', 42,
		'192.168.0.1/24', '10.0.0.0/8', '08:00:2b:01:02:03', '[1,10)', '[2025-01-01 00:00+00,2025-02-01 00:00+00)',
		B'1', B'1010110011', B'101',
		'{1,2,NULL}', '{"a b",c,NULL}', repeat('0123456789', 250))},
	q{INSERT INTO all_types (id, f4, f8, d, ts, tstz) VALUES (2, 'NaN', '-Infinity', 'infinity', '-infinity', 'infinity')},
	q{INSERT INTO all_types (id) VALUES (3)});
$node->safe_psql('postgres', $_) for (@inserts,
	q{UPDATE all_types SET i2 = 1, t = NULL WHERE id = 1},
	q{DELETE FROM all_types WHERE id = 2},
	q{TRUNCATE all_types});
my $end = $node->safe_psql('postgres', "SELECT pg_current_wal_lsn() - '0/0'");

for my $run (sort keys %runs)
{
	my $prefix = "types-$run";
	my $sh = start_shipper($node, $mock, 'topic.prefix' => $prefix, 'slot.name' => $run,
		%{ $runs{$run} });
	wait_until(sub { slot_confirmed($node, $run) >= $end }, "slot $run confirmed");
	is(stop_shipper($sh), 0, "$run: shipped and stopped cleanly");

	my @topics = grep { /^\Q$prefix\E\./ } (kcat($mock, '-L') =~ /topic "([^"]+)"/g);
	my @all;
	for my $topic (sort @topics)
	{
		push @all, map { { %$_, topic => $topic } } @{ kcat_messages($mock, $topic) };
	}
	@all = in_commit_order(@all);
	my $got = join('', map {
		"$_->{topic}\n" . normalize($_->{key}) . "\n" . normalize($_->{value}) . "\n\n"
	} @all);
	is_golden("005_types_$run.out", $got, "$run: every message equals the golden file");
}

# A snapshot reads the rows as their inserts streamed them: the same rows
# again, read by an initial snapshot at a new slot in each configuration,
# equal the golden files' create events but for op and source.snapshot.
$node->safe_psql('postgres', $_) for @inserts;
for my $run (sort keys %runs)
{
	my $prefix = "types-$run";
	my %created;
	for my $entry (split /\n\n/, PostgreSQL::Test::Utils::slurp_file(
			"$ENV{TESTDIR}/regress/golden/005_types_$run.out"))
	{
		my ($topic, $key, $value) = split /\n/, $entry;
		next unless $topic eq "$prefix.public.all_types" && $value =~ /"op":"c"/;
		$value =~ s/"transaction":\{[^}]*\}/"transaction":null/;
		$created{$key} //= $value;
	}
	my $sh = start_shipper($node, $mock, 'topic.prefix' => $prefix, 'slot.name' => "snap_$run",
		%{ $runs{$run} });
	is(stop_shipper($sh), 0, "$run: snapshot taken");
	my @reads = grep { defined $_->{value} && $_->{value} =~ /"op":"r"/ }
	  @{ kcat_messages($mock, "$prefix.public.all_types") };
	is(scalar(@reads), 3, "$run: three rows read");
	for my $read (@reads)
	{
		my $key = normalize($read->{key});
		(my $value = normalize($read->{value})) =~ s/"snapshot":"[a-z_]+"/"snapshot":"false"/;
		$value =~ s/"op":"r"/"op":"c"/;
		is($value, $created{$key}, "$run: the read of $key is its create event");
	}
}

$node->stop;
mock_control($mock, 'quit');
done_testing();
