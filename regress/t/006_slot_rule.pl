# The slot rule: the shipper creates its slot only at start-up, only when
# it has never streamed it (its record in the offsets topic says so), and
# only after Kafka has answered.  A slot that is dropped or invalidated is a
# gap: exit status 4 and one line saying what is lost and what to do, never
# a new slot.  A second shipper on the same slot gets one line and status 3.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Utils;
use ShipperTest;
use Test::More;

my $node = start_node('slotrule');
$node->safe_psql('postgres', q{
	CREATE TABLE ledger (id int PRIMARY KEY, note text);
	CREATE TABLE noise (id int, pad text);
});
my $mock = start_mock('emp-test.public.ledger:3');
my %props = ('table.include.list' => 'public.ledger', 'startup.timeout.ms' => '3000');
my $log_line = qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (INFO|WARN|ERROR) slot=\S+ \S/;

sub slot_exists
{
	my ($slot) = @_;
	return $node->safe_psql('postgres',
		"SELECT count(*) FROM pg_replication_slots WHERE slot_name = '$slot'");
}

# Drop a slot a shipper streams: end its walsender, drop while it backs off.
sub drop_active_slot
{
	my ($slot) = @_;
	wait_until(sub {
		$node->safe_psql('postgres', qq{
			SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots
			 WHERE slot_name = '$slot' AND active});
		$node->psql('postgres', "SELECT pg_drop_replication_slot('$slot')") == 0;
	}, "slot $slot dropped");
}

# 1. Kafka unreachable at the first start: exit 3 naming the brokers, no slot.
my $port = PostgreSQL::Test::Cluster::get_free_port();
my ($rc, $err) = run_shipper($node, undef, %props, 'slot.name' => 'unreachable',
	'kafka.bootstrap.servers' => "127.0.0.1:$port");
is($rc, 3, 'unreachable Kafka at the first start: exit status 3');
like($err, qr/cannot reach Kafka at 127\.0\.0\.1:$port within 3 s/, 'naming the brokers tried');
is(slot_exists('unreachable'), '0', 'and no slot was created');
like($err, $log_line, 'log lines carry UTC time, level and slot');

# 2. Two captured tables that map to one topic are refused at start-up;
# an include entry that matches no table is warned about.
$node->safe_psql('postgres', q{
	CREATE SCHEMA a; CREATE TABLE a."b.c" (x int);
	CREATE SCHEMA "a.b"; CREATE TABLE "a.b".c (x int);
});
($rc, $err) = run_shipper($node, $mock, 'slot.name' => 'collide', 'table.include.list' => 'a.*');
is($rc, 2, 'two tables, one topic: exit status 2');
like($err, qr/table "a"\."b\.c" and table "a\.b"\."c" both map to topic emp-test\.a\.b\.c/,
	'naming both tables and the topic');
is(slot_exists('collide'), '0', 'before any slot is created');
$node->safe_psql('postgres', 'DROP SCHEMA a CASCADE; DROP SCHEMA "a.b" CASCADE');

# 2. A first start creates the slot and records it.
my $sh = start_shipper($node, $mock, %props, 'slot.name' => 'rule',
	'database.reconnect.backoff.ms' => '1000', 'table.include.list' => 'public.ledger,public.Ledger');
like(shipper_log($sh), qr/created replication slot "rule" at/, 'first start: slot created');
like(shipper_log($sh), qr/capturing 1 of the database's 2 tables: "public"\."ledger"/,
	'the captured tables are logged');
like(shipper_log($sh), qr/WARN slot=rule table\.include\.list entry "public\.Ledger" matches no table/,
	'an include entry that matches no table is warned about');
$node->safe_psql('postgres', "INSERT INTO ledger VALUES (1, 'before the drop')");
wait_until(sub { kcat($mock, '-C', '-t', 'emp-test.public.ledger', '-e', '-q', '-f', '%k\n') =~ /1/ },
	'first row in Kafka');
my $record = kcat($mock, '-C', '-t', 'cellcdc-offsets', '-e', '-q', '-f', '%k %s\n');
like($record, qr/\{"slot":"rule","database":"postgres","system":"\d+"\} .*"event":"created"/,
	'the slot is recorded in the offsets topic');

# 3. Dropped while streaming: exit 4, no new slot.
drop_active_slot('rule');
$node->safe_psql('postgres', "INSERT INTO ledger VALUES (2, 'lost')");
$sh->{run}->finish;
is($? >> 8, 4, 'slot dropped mid-stream: exit status 4');
like($sh->{err}, qr/slot "rule" disappeared while this shipper was using it .*changes after LSN [0-9A-F]+\/[0-9A-F]+ are lost.*--new-slot/,
	'the line says what happened, from which LSN changes are lost and what to do');
is(slot_exists('rule'), '0', 'no slot was created behind the user\'s back');

# 4. Started again: the record says it streamed this slot: exit 4 again.
($rc, $err) = run_shipper($node, $mock, %props, 'slot.name' => 'rule');
is($rc, 4, 'restart after the drop: exit status 4');
like($err, qr/slot "rule" does not exist, but this shipper created it at LSN .* are lost/,
	'naming the record that proves it');
is(slot_exists('rule'), '0', 'still no slot');
is(scalar(() = $err =~ / ERROR /g), 1, 'in one ERROR line');

# 5. --new-slot starts over deliberately.
$sh = start_shipper($node, $mock, %props, 'slot.name' => 'rule', '-' => ['--new-slot']);
like(shipper_log($sh), qr/--new-slot: created slot "rule" at .* are not sent/, '--new-slot: a new slot, the gap said');
is(slot_exists('rule'), '1', 'the slot exists again');

# 6. A second shipper on the same slot: one line, exit 3.
($rc, $err) = run_shipper($node, $mock, %props, 'slot.name' => 'rule');
is($rc, 3, 'a second instance: exit status 3');
like($err, qr/another shipper holds slot "rule" \(its catalog connection is server PID \d+\): stop it/,
	'saying another shipper holds the slot');
is(scalar(() = $err =~ / ERROR /g), 1, 'in one ERROR line');
is(stop_shipper($sh), 0, 'the first one stops cleanly');

# 7. --new-slot over a usable slot is refused.
($rc, $err) = run_shipper($node, $mock, %props, 'slot.name' => 'rule', '-' => ['--new-slot']);
is($rc, 2, '--new-slot with a usable slot: exit status 2');
like($err, qr/exists and is usable/, 'saying so');

# 8. Invalidated (max_slot_wal_keep_size): exit 4 once the shipper sees it.
$node->append_conf('postgresql.conf', "max_slot_wal_keep_size = 1MB\n");
$node->reload;
$sh = start_shipper($node, $mock, %props, 'slot.name' => 'rule');
mock_control($mock, "down $_") for 1 .. 3;
$node->safe_psql('postgres', "INSERT INTO ledger VALUES (3, 'held by the outage')");
for (1 .. 4)
{
	$node->safe_psql('postgres',
		"INSERT INTO noise SELECT g, repeat('x', 200) FROM generate_series(1, 20000) g");
	$node->safe_psql('postgres', 'SELECT pg_switch_wal(); CHECKPOINT;');
}
wait_until(sub {
	$node->safe_psql('postgres', 'CHECKPOINT');
	$node->safe_psql('postgres', "SELECT wal_status FROM pg_replication_slots WHERE slot_name = 'rule'")
	  eq 'lost';
}, 'the slot invalidated');
$sh->{run}->finish;
is($? >> 8, 4, 'slot invalidated: exit status 4');
like($sh->{err}, qr/slot "rule" was invalidated: the WAL it needs was removed .*are lost/,
	'saying the slot was invalidated and what is lost');
unlike($sh->{err}, qr/will be sent again/, 'and not that anything will be sent again');
mock_control($mock, "up $_") for 1 .. 3;

# 9. --new-slot replaces an invalidated slot.
$sh = start_shipper($node, $mock, %props, 'slot.name' => 'rule', '-' => ['--new-slot']);
like(shipper_log($sh), qr/dropping invalidated slot "rule"/, '--new-slot drops the invalidated slot');
like(shipper_log($sh), qr/streaming slot "rule"/, 'and streams a new one');
is(stop_shipper($sh), 0, 'stopped');

$node->stop;
mock_control($mock, 'quit');
done_testing();
