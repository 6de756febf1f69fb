# No loss: the slot is confirmed only over acknowledged changes, and every
# committed change reaches Kafka through broker outages, failed deliveries,
# shipper restarts (clean and killed) and a PostgreSQL restart.  Counts are
# checked as committed == distinct in Kafka == total.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Utils;
use ShipperTest;
use Test::More;
use Time::HiRes qw(usleep);

my $node = start_node('noloss');
$node->safe_psql('postgres', q{
	CREATE TABLE ledger (id int PRIMARY KEY, note text);
	CREATE TABLE noise (id int);
});
my $topic = 'emp-test.public.ledger';
my $mock = start_mock("$topic:6");
my %props = ('table.include.list' => 'public.ledger');
my $sh = start_shipper($node, $mock, %props);
my $next = 1;

# Commit $n transactions of $rows rows each into ledger.
sub write_rows
{
	my ($n, $rows) = @_;
	for (1 .. $n)
	{
		my $last = $next + $rows - 1;
		$node->safe_psql('postgres',
			"INSERT INTO ledger SELECT g, 'row ' || g FROM generate_series($next, $last) g");
		$next = $last + 1;
	}
}

sub current_lsn { $node->safe_psql('postgres', "SELECT pg_current_wal_lsn() - '0/0'") }

# (total, distinct) keys in the topic
sub counts
{
	my @keys = split /\n/, kcat($mock, '-C', '-t', $topic, '-e', '-q', '-f', '%k\n');
	my %distinct = map { $_ => 1 } @keys;
	return (scalar(@keys), scalar(keys %distinct));
}

# Wait until the shipper has told the server it received everything written
# so far (the write position of its status updates), confirmed or not.
sub wait_received
{
	my ($what) = @_;
	my $end = current_lsn();
	wait_until(sub {
		$node->safe_psql('postgres',
			"SELECT count(*) FROM pg_stat_replication WHERE write_lsn - '0/0' >= $end") eq '1';
	}, $what);
}

sub wait_confirmed
{
	my ($what) = @_;
	my $end = current_lsn();
	wait_until(sub { slot_confirmed($node, 'shipper') >= $end }, $what);
}

# 1. Kafka unreachable: nothing is confirmed past what it acknowledged.
write_rows(1, 10);
wait_confirmed('first rows confirmed');
my $before = slot_confirmed($node, 'shipper');
is(mock_control($mock, "down $_"), 'ok', "broker $_ down") for 1 .. 3;
write_rows(5, 20);
wait_received('the shipper received the rows');
is(slot_confirmed($node, 'shipper'), $before, 'brokers down: the slot does not move');
wait_until(sub { shipper_log($sh) =~ /WARN slot=shipper Kafka unreachable: every broker is down/ },
	'the outage logged');
is(mock_control($mock, "up $_"), 'ok', "broker $_ up") for 1 .. 3;
wait_confirmed('confirmed after the brokers came back');
wait_until(sub { shipper_log($sh) =~ /INFO slot=shipper Kafka is reachable again/ },
	'the end of the outage logged');
my ($total, $distinct) = counts();
is($distinct, $next - 1, 'every row arrived once the brokers were back');
is($total, $distinct, 'and none twice');

# 2. Brokers going down and up while changes flow.
for my $b (1 .. 3)
{
	mock_control($mock, "down $b");
	write_rows(10, 50);
	mock_control($mock, "up $b");
}
wait_confirmed('confirmed after the flapping brokers');
($total, $distinct) = counts();
is($distinct, $next - 1, 'brokers down and up under load: no row lost');
is($total, $distinct, 'and none duplicated');

# 3. An idle or filtered database does not retain WAL.
$node->safe_psql('postgres', 'INSERT INTO noise SELECT generate_series(1, 1000)') for 1 .. 3;
my $noise_end = current_lsn();
wait_until(sub { slot_confirmed($node, 'shipper') >= $noise_end },
	'the slot confirmed over filtered changes');
pass('changes filtered in the database still advance the slot');

# 4. A failed delivery ends the session; it restarts from the confirmed LSN.
is(mock_control($mock, 'err 0 87 87 87'), 'ok', 'inject INVALID_RECORD on produce');
write_rows(5, 20);
wait_until(sub { $sh->{run}->pump_nb; $sh->{err} =~ /restarting from/ }, 'a session restart');
wait_confirmed('confirmed after the failed delivery');
($total, $distinct) = counts();
is($distinct, $next - 1, 'a failed delivery loses nothing: rows are sent again');
like($sh->{err}, qr/delivery to \Q$topic\E .*failed|Kafka producer failed/,
	'the failure is logged with the topic');

# 5. SIGTERM mid-stream, then restart: nothing lost, nothing twice.
($before) = counts();
write_rows(1, 20000);
is(stop_shipper($sh), 0, 'SIGTERM: exit 0 after flushing');
$sh = start_shipper($node, $mock, %props);
wait_confirmed('confirmed after a clean restart');
my $after;
($after, $distinct) = counts();
is($distinct, $next - 1, 'clean restart: no row lost');
is($after - $before, 20000, 'and none sent twice');

# 6. SIGKILL, then restart: nothing lost, and what Kafka had is not sent
# again (009 kills it 20 times under load).
write_rows(20, 50);
stop_shipper($sh, 'KILL');
write_rows(5, 50);
$sh = start_shipper($node, $mock, %props);
wait_confirmed('confirmed after a kill');
($total, $distinct) = counts();
is($distinct, $next - 1, 'killed shipper: no row lost');
is($total, $distinct, 'and none twice');

# 7. PostgreSQL restarts under the shipper: it reconnects with backoff.
write_rows(5, 50);
$node->restart;
write_rows(5, 50);
wait_until(sub { $sh->{run}->pump_nb; $sh->{err} =~ /restarting from/ }, 'a reconnect');
wait_confirmed('confirmed after the server restart');
($total, $distinct) = counts();
is($distinct, $next - 1, 'server restart: no row lost');

# 8. With Kafka away the first signal waits (up to shutdown.timeout.ms) for
# acknowledgements; a second one exits at once, confirming nothing more.
mock_control($mock, "down $_") for 1 .. 3;
write_rows(1, 10);
wait_received('the shipper received the rows');
my $held = slot_confirmed($node, 'shipper');
my $t0 = time;
$sh->{run}->signal('TERM');
wait_until(sub { shipper_log($sh) =~ /stopping: finishing the open transaction/ }, 'the first signal heard');
$sh->{run}->signal('TERM');
$sh->{run}->finish;
is($? >> 8, 1, 'a second signal exits at once with status 1');
ok(time - $t0 < 5, 'well before the shutdown timeout');
like($sh->{err}, qr/second signal/, 'saying why');
is(slot_confirmed($node, 'shipper'), $held, 'unacknowledged rows are not confirmed');
mock_control($mock, "up $_") for 1 .. 3;

$node->stop;
mock_control($mock, 'quit');
done_testing();
