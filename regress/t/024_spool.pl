# The spool: while Kafka is away the shipper keeps reading the slot into
# spool.dir, so the cell keeps no WAL for it; when Kafka is back the spool
# goes first, in order, exactly once.  Also: kill -9 while spooling and at
# the start of a drain, a full spool (the slot waits, loudly), PostgreSQL
# restarted during an outage, a torn end (cut off, nothing lost), damage
# (exit 4), another stream's spool (exit 2).
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Utils;
use ShipperTest;
use Test::More;

my $node = start_node('spool');
$node->safe_psql('postgres',
	'CREATE TABLE t (id int PRIMARY KEY, v int NOT NULL, pad text);');
my $mock = start_mock('emp-test.public.t:4');
my $spool = PostgreSQL::Test::Utils::tempdir . '/spool';
my %props = (
	'key.converter.schemas.enable' => 'false',
	'value.converter.schemas.enable' => 'false',
	'kafka.max.in.flight.requests.per.connection' => '1',
	'spool.dir' => $spool,
	'spool.after.ms' => '1000',
	'startup.timeout.ms' => '2000',
	'log.progress.interval.ms' => '1000');
my $sh = start_shipper($node, $mock, %props);
my $logs = '';

sub current_lsn { $node->safe_psql('postgres', "SELECT pg_current_wal_lsn() - '0/0'") }

sub wait_confirmed
{
	my ($what) = @_;
	my $end = current_lsn();
	wait_until(sub { slot_confirmed($node, 'shipper') >= $end }, $what);
}

sub brokers { my ($how) = @_; mock_control($mock, "$how $_") for 1 .. 3; }

sub segments { my @s = glob("$spool/*.spool"); return @s; }

# $n transactions of 10 upserts each; v counts a row's changes
sub write_changes
{
	my ($n, $pad) = @_;
	$pad //= "''";
	for (1 .. $n)
	{
		my $lo = int(rand(500));
		$node->safe_psql('postgres', "INSERT INTO t SELECT g, 1, $pad FROM "
			  . "generate_series($lo, $lo + 9) g ON CONFLICT (id) DO UPDATE SET v = t.v + 1, pad = excluded.pad");
	}
}

sub log_has
{
	my ($re) = @_;
	return ($logs . shipper_log($sh)) =~ $re;
}

sub restart
{
	my ($signal, %more) = @_;
	stop_shipper($sh, $signal);
	$logs .= $sh->{err};
	wait_until(sub {
		$node->safe_psql('postgres',
			"SELECT NOT active FROM pg_replication_slots WHERE slot_name = 'shipper'") eq 't';
	}, 'the slot released');
	$sh = start_shipper($node, $mock, %props, %more);
}

# Every committed change of t exactly once, in order per key.
sub check_kafka
{
	my ($what) = @_;
	my %final = map { split /\|/ } split /\n/, $node->safe_psql('postgres', 'SELECT id, v FROM t');
	my $committed = 0;
	$committed += $_ for values %final;
	my ($messages, $lost, $dup, $back) = (0, 0, 0, 0);
	my (%seen, %last);
	wait_until(sub {
		$messages = grep { ($_->{value} // '') =~ /"after"/ }
		  @{ kcat_messages($mock, 'emp-test.public.t') };
		$messages >= $committed;
	}, "$what: every change in Kafka");
	for my $m (@{ kcat_messages($mock, 'emp-test.public.t') })
	{
		my ($id, $v) = ($m->{value} // '') =~ /"after":\{"id":(\d+),"v":(\d+)/ or next;
		$dup++ if $seen{$id}{$v}++;
		$back++ if defined $last{$id} && $v <= $last{$id};
		$last{$id} = $v;
	}
	for my $id (keys %final) { $lost += grep { !$seen{$id}{$_} } 1 .. $final{$id}; }
	is("$lost lost, $dup duplicated, $back out of order, $messages messages",
		"0 lost, 0 duplicated, 0 out of order, $committed messages", "$what: exactly once, in order");
}

write_changes(10);
wait_confirmed('streaming before the outage');

# Kafka away: after spool.after.ms the shipper spools, and the slot moves on.
brokers('down');
write_changes(50);
wait_until(sub { log_has(qr/every Kafka broker has been unreachable for \S+ s \(spool.after.ms=1000\): spooling to \Q$spool\E/) },
	'the switch to the spool');
wait_confirmed('the slot confirmed while Kafka is down');
ok(scalar(segments()) > 0, 'the spool has a segment');
wait_until(sub { log_has(qr/progress: .*; [0-9.]+ MB in the spool \(Kafka is away\);/) },
	'the progress line says what the spool holds');

# kill -9 while spooling; the new process cannot reach Kafka and spools on
write_changes(20);
restart('KILL');
like(shipper_log($sh), qr/cannot reach Kafka.*spool.dir \Q$spool\E holds a spool: spooling on/,
	'a start while Kafka is away goes on spooling');
like(shipper_log($sh), qr/streaming slot "shipper" from \S+ \(the slot's position\) to the spool \(Kafka is away\)/,
	'and says where it streams to');
write_changes(20);
wait_confirmed('confirmed into the spool after the restart');

# Kafka back: the spool drains before streaming goes on
brokers('up');
wait_until(sub { log_has(qr/drained the spool: \d+ messages sent to Kafka/) }, 'the drain')
  or diag(shipper_log($sh));
like(shipper_log($sh), qr/Kafka answers again, after \S+: sending the spool/, 'Kafka back is noticed');
write_changes(5);
wait_confirmed('streaming after the drain');
is(scalar(segments()), 0, 'drained segments are removed');
check_kafka('outage, kill -9 while spooling, drain');

# kill -9 as soon as a drain starts, then drain again: nothing doubled
brokers('down');
write_changes(40);
wait_until(sub { log_has(qr/spooling to/) && scalar(segments()) > 0 }, 'spooling again');
wait_confirmed('confirmed into the spool');
brokers('up');
wait_until(sub { shipper_log($sh) =~ /sending it to Kafka before streaming on/ }, 'a drain starts');
restart('KILL');
write_changes(5);
wait_confirmed('streaming after the interrupted drain');
check_kafka('kill -9 at the start of a drain');

# A torn end (a crash while appending): cut off, nothing lost
brokers('down');
write_changes(20);
wait_until(sub { shipper_log($sh) =~ /spooling to/ && scalar(segments()) > 0 }, 'spooling');
wait_confirmed('confirmed into the spool');
stop_shipper($sh);
$logs .= $sh->{err};
my ($last) = (segments())[-1];
open(my $fh, '>>', $last) or die;
print $fh "CDFR" . ("\x55" x 20);	# a frame header cut short
close $fh;
$sh = start_shipper($node, $mock, %props);
like(shipper_log($sh), qr/spool segment \S+ ends in a torn frame at byte \d+ .*cut off/,
	'a torn end is cut off, and said');
brokers('up');
write_changes(5);
wait_confirmed('streaming after the torn end');
check_kafka('torn end');

# A full spool: the slot stops moving (WAL is kept), an ERROR says so
restart('TERM', 'spool.max.bytes' => '1048576');
brokers('down');
# 3 kB of random hex a row (one per row: the subquery refers to g)
write_changes(100, "(SELECT string_agg(md5(random()::text || x || g), '') FROM generate_series(1, 100) x)");
wait_until(sub { shipper_log($sh) =~ /the spool is full: \S+ holds \d+ bytes and the next \d+ would pass spool.max.bytes \(1048576\)/ },
	'the full spool said') or diag(shipper_log($sh));
my $held = slot_confirmed($node, 'shipper');
ok($held < current_lsn(), 'a full spool holds the slot back');
brokers('up');
wait_until(sub { shipper_log($sh) =~ /drained the spool/ }, 'the full spool drains');
write_changes(5);
wait_confirmed('streaming after the full spool');
check_kafka('full spool');

# PostgreSQL restarts as Kafka goes away: the next session, reading what
# Kafka holds, waits for it no longer than spool.after.ms, then spools
restart('TERM');
my $mark = length(shipper_log($sh));
brokers('down');
$node->restart(mode => 'fast');
write_changes(20);
wait_until(sub { substr(shipper_log($sh), $mark) =~ /spooling to/ },
	'spooling after a restart of PostgreSQL during the outage') or diag(shipper_log($sh));
wait_confirmed('confirmed into the spool after the restart');
brokers('up');
wait_until(sub { substr(shipper_log($sh), $mark) =~ /drained the spool/ }, 'drained after it');
write_changes(5);
wait_confirmed('streaming after that drain');
check_kafka('PostgreSQL restarted during the outage');
stop_shipper($sh);
$logs .= $sh->{err};

# The spool removed while the shipper is stopped: the slot stands past
# every record Kafka has, a gap (exit 4) that names the spool
$sh = start_shipper($node, $mock, %props);
brokers('down');
write_changes(10);
wait_until(sub { shipper_log($sh) =~ /spooling to/ }, 'spooling before the removal');
wait_confirmed('confirmed into the spool before the removal');
stop_shipper($sh);
$logs .= $sh->{err};
unlink segments();
brokers('up');
my ($rc, $err) = run_shipper($node, $mock, %props);
is($rc, 4, 'the spool removed: exit status 4');
like($err, qr/past LSN \S+, the furthest this shipper confirmed it: .*or the spool that held those changes was removed from \Q$spool\E/,
	'naming the spool as a cause');
# as the on-call engineer would, once the tables are re-snapshotted
$node->safe_psql('postgres', "SELECT pg_drop_replication_slot('shipper')");
$sh = start_shipper($node, $mock, %props, '-' => ['--new-slot']);
stop_shipper($sh);
$logs .= $sh->{err};

# Another stream's spool: exit 2
open($fh, '>', "$spool/0000000000000100.spool") or die;
my $other = '7000000000000000000/another_database/another_slot_name';
print $fh "CDCSPOOL" . pack('L', length $other) . $other;
close $fh;
($rc, $err) = run_shipper($node, $mock, %props);
is($rc, 2, 'another stream\'s spool: exit status 2');
like($err, qr/spool.dir holds the spool of \Q$other\E, not of this shipper's \S+/,
	'naming whose it is');
unlink "$spool/0000000000000100.spool";
$sh = start_shipper($node, $mock, %props);

# Damage in the middle of a segment: exit 4, naming it
brokers('down');
write_changes(10);
wait_until(sub { shipper_log($sh) =~ /spooling to/ }, 'spooling for the damage case');
wait_confirmed('first frame');
write_changes(10);
wait_confirmed('second frame');
stop_shipper($sh, 'KILL');
$logs .= $sh->{err};
brokers('up');
($last) = (segments())[-1];
open($fh, '+<', $last) or die;
seek($fh, 100, 0);
print $fh "\x00\x01\x02\x03";
close $fh;
($rc, $err) = run_shipper($node, $mock, %props);
is($rc, 4, 'a damaged spool: exit status 4');
like($err, qr/spool segment \Q$last\E is damaged at byte \d+ \(a frame fails its checksum/,
	'naming the segment and where');
unlink $last;

# spool.dir that cannot be made: found at start, not when Kafka goes away
my $file = PostgreSQL::Test::Utils::tempdir . '/a-file';
open($fh, '>', $file) or die;
close $fh;
($rc, $err) = run_shipper($node, $mock, %props, 'spool.dir' => "$file/spool");
is($rc, 2, 'a spool.dir that cannot be made: exit status 2');
like($err, qr/spool.dir \S+ cannot be used: Not a directory; create it/, 'saying why');

# spool.dir is for Kafka only
($rc, $err) = run_shipper($node, undef, %props, sink => 'stdout');
is($rc, 2, 'spool.dir with sink=stdout: exit status 2');
like($err, qr/spool.dir.*sink is not kafka/, 'saying why');

$node->stop;
mock_control($mock, 'quit');
done_testing();
