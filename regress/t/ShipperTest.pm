# Shared by the TAP tests: a private PostgreSQL with the extension,
# the mock Kafka cluster (regress/mockbroker), the installed cellcdc-shipper,
# and kcat to read back what landed, as an independent client would.
package ShipperTest;

use strict;
use warnings;
use Exporter 'import';
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);

our @EXPORT = qw(start_node start_mock mock_control kcat kcat_messages start_shipper
  run_shipper stop_shipper wait_until murmur2_partition normalize slot_confirmed in_commit_order
  is_golden shipper_log topic_count);

my $timeout = $PostgreSQL::Test::Utils::timeout_default;

# everything started here, killed at exit even when a test dies midway
my @started;
END { local $?; $_->kill_kill for grep { $_->pumpable } @started; }

# A cluster ready for logical decoding with cellcdc, and the extension created.
sub start_node
{
	my ($name) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);
	# the machine's locale must not matter: a minimal container has none,
	# and initdb would then pick SQL_ASCII
	$node->init(allows_streaming => 'logical', extra => [ '--encoding=UTF8', '--locale=C' ]);
	$node->append_conf('postgresql.conf', 'wal_sender_timeout = 10s');
	$node->start;
	if ($node->safe_psql('postgres',
		"SELECT count(*) FROM pg_settings WHERE name = 'output_plugin_libraries'") eq '1')
	{
		$node->append_conf('postgresql.conf',
			"output_plugin_libraries = 'pgoutput, test_decoding, cellcdc'");
		$node->reload;
	}
	$node->safe_psql('postgres', 'CREATE EXTENSION cellcdc');
	return $node;
}

# The mock Kafka cluster; returns a handle with {bootstrap}.
sub start_mock
{
	my (@topics) = @_;
	my $dir = PostgreSQL::Test::Utils::tempdir;
	my $mock = { file => "$dir/bootstrap", fifo => "$dir/control", out => '', err => '' };
	$mock->{run} = IPC::Run::start(
		[ "$ENV{TESTDIR}/regress/mockbroker", '-b', '3', '-f', $mock->{file},
			'-c', $mock->{fifo}, map { ('-t', $_) } @topics ],
		'>', \$mock->{out}, '2>', \$mock->{err});
	push @started, $mock->{run};
	for (my $i = 0; $i < 100 && !-e $mock->{file}; $i++) { usleep(100_000); }
	$mock->{bootstrap} = PostgreSQL::Test::Utils::slurp_file($mock->{file});
	chomp $mock->{bootstrap};
	return $mock;
}

# Send a fault command to the mock; returns its answer ("ok" or "error: ...").
sub mock_control
{
	my ($mock, $command) = @_;
	my $answers = () = $mock->{out} =~ /\n/g;
	open(my $fh, '>', $mock->{fifo}) or die "cannot open $mock->{fifo}: $!";
	print $fh "$command\n";
	close $fh;
	for (my $i = 0; $i < 100; $i++)
	{
		$mock->{run}->pump_nb;
		my @lines = split /\n/, $mock->{out};
		return $lines[-1] if scalar(@lines) > $answers;
		usleep(50_000);
	}
	return 'no answer';
}

# Run kcat against the mock; returns stdout.
sub kcat
{
	my ($mock, @args) = @_;
	my ($out, $err) = ('', '');
	IPC::Run::run([ 'kcat', '-b', $mock->{bootstrap}, @args ], '<', \'', '>', \$out,
		'2>', \$err, IPC::Run::timeout($timeout))
	  or die "kcat @args failed: $err";
	return $out;
}

# Every message of a topic as {partition, offset, key, headers, value}, in
# partition then offset order.  A null key or value reads as undef.
sub kcat_messages
{
	my ($mock, $topic) = @_;
	my $out = kcat($mock, '-C', '-t', $topic, '-e', '-q', '-Z', '-f',
		'%p\x1f%o\x1f%K\x1f%k\x1f%h\x1f%S\x1f%s\x1e');
	my @messages;
	for my $rec (split /\x1e/, $out)
	{
		my ($p, $o, $klen, $k, $h, $vlen, $v) = split /\x1f/, $rec, -1;
		next unless defined $v;
		push @messages, {
			partition => $p, offset => $o,
			key => $klen == -1 ? undef : $k,
			headers => { map { split /=/, $_, 2 } split /,/, $h },
			value => $vlen == -1 ? undef : $v };
	}
	return [ sort { $a->{partition} <=> $b->{partition} || $a->{offset} <=> $b->{offset} }
		  @messages ];
}

# The shipper under test: the installed one, or $ENV{SHIPPER}.
our $shipper = $ENV{SHIPPER} // 'cellcdc-shipper';

# Write a properties file for $node and $mock (undef: no Kafka) with %props
# over the test defaults; returns its path.
sub properties_file
{
	my ($node, $mock, %props) = @_;
	my $dir = PostgreSQL::Test::Utils::tempdir;
	my %defaults = (
		'topic.prefix' => 'emp-test',
		'database.conninfo' => $node->connstr('postgres'),
		'slot.name' => 'shipper',
		'status.interval.ms' => '200',
		'database.reconnect.backoff.ms' => '100',
		'database.reconnect.backoff.max.ms' => '1000',
		'shutdown.timeout.ms' => '10000');
	$defaults{'kafka.bootstrap.servers'} = $mock->{bootstrap} if $mock;
	my %all = (%defaults, %props);
	open(my $fh, '>', "$dir/shipper.properties") or die;
	print $fh "$_=$all{$_}\n" for sort keys %all;
	close $fh;
	return "$dir/shipper.properties";
}

# Start the shipper with these properties (and the command-line arguments in
# the list under the key '-'); returns a handle once it streams or exits.
sub start_shipper
{
	my ($node, $mock, %props) = @_;
	my @args = @{ delete $props{'-'} // [] };
	my $sh = { out => '', err => '', file => properties_file($node, $mock, %props) };
	$sh->{run} = IPC::Run::start([ $shipper, '-c', $sh->{file}, @args ],
		'>', \$sh->{out}, '2>', \$sh->{err});
	push @started, $sh->{run};
	wait_until(sub { $sh->{run}->pump_nb; $sh->{err} =~ /streaming slot/ || !$sh->{run}->pumpable },
		'shipper streaming');
	return $sh;
}

# Run the shipper until it exits by itself; returns (exit status, stderr, stdout).
sub run_shipper
{
	my ($node, $mock, %props) = @_;
	my @args = @{ delete $props{'-'} // [] };
	my ($out, $err) = ('', '');
	IPC::Run::run([ $shipper, '-c', properties_file($node, $mock, %props), @args ],
		'<', \'', '>', \$out, '2>', \$err, IPC::Run::timeout($timeout));
	return ($? >> 8, $err, $out);
}

# What a running shipper has logged so far.
sub shipper_log
{
	my ($sh) = @_;
	$sh->{run}->pump_nb if $sh->{run}->pumpable;
	return $sh->{err};
}

# How many messages a topic holds (the end offsets of its partitions).
sub topic_count
{
	my ($mock, $topic) = @_;
	my @parts = kcat($mock, '-L', '-t', $topic) =~ /partition (\d+),/g;
	my $n = 0;
	$n += $_ for kcat($mock, '-Q', map { ('-t', "$topic:$_:-1") } @parts) =~ /offset (\d+)/g;
	return $n;
}

# Stop it with a signal (TERM by default); returns its exit code.
sub stop_shipper
{
	my ($sh, $signal) = @_;
	$sh->{run}->signal($signal // 'TERM');
	$sh->{run}->finish;
	return $? >> 8;
}

# Poll $cond every 100 ms until it is true; fail the test on timeout.
sub wait_until
{
	my ($cond, $what) = @_;
	for (my $i = 0; $i < $timeout * 10; $i++)
	{
		return 1 if $cond->();
		usleep(100_000);
	}
	fail("timed out waiting for $what");
	return 0;
}

sub slot_confirmed
{
	my ($node, $slot) = @_;
	return $node->safe_psql('postgres',
		"SELECT confirmed_flush_lsn - '0/0' FROM pg_replication_slots WHERE slot_name = '$slot'");
}

# The Java client's default partitioner: murmur2 of the key bytes, made
# positive, modulo the partition count (org.apache.kafka.common.utils.Utils).
sub murmur2_partition
{
	my ($key, $partitions) = @_;
	my $mul = sub {
		my ($a, $b) = @_;
		return (($a * ($b & 0xffff)) + ((($a * ($b >> 16)) & 0xffff) << 16)) & 0xffffffff;
	};
	my $m = 0x5bd1e995;
	my @bytes = unpack('C*', $key);
	my $len = scalar @bytes;
	my $h = (0x9747b28c ^ $len) & 0xffffffff;
	my $i = 0;
	for (; $i + 4 <= $len; $i += 4)
	{
		my $k = $bytes[$i] | ($bytes[$i + 1] << 8) | ($bytes[$i + 2] << 16) | ($bytes[$i + 3] << 24);
		$k = $mul->($k, $m);
		$k ^= $k >> 24;
		$k = $mul->($k, $m);
		$h = $mul->($h, $m) ^ $k;
	}
	my $rest = $len - $i;
	$h ^= $bytes[$i + 2] << 16 if $rest >= 3;
	$h ^= $bytes[$i + 1] << 8 if $rest >= 2;
	$h = $mul->($h ^ $bytes[$i], $m) if $rest >= 1;
	$h ^= $h >> 13;
	$h = $mul->($h, $m);
	$h ^= $h >> 15;
	return ($h & 0x7fffffff) % $partitions;
}

# Messages (from kcat_messages) in the order of the change stream.
sub in_commit_order
{
	return sort {
		$a->{headers}{'cellcdc.commit_lsn'} <=> $b->{headers}{'cellcdc.commit_lsn'}
		  || $a->{headers}{'cellcdc.seq'} <=> $b->{headers}{'cellcdc.seq'}
	} @_;
}

# Compare $got with regress/golden/$name, keeping it as regress/results/$name.
sub is_golden
{
	my ($name, $got, $label) = @_;
	my $golden_file = "$ENV{TESTDIR}/regress/golden/$name";
	my $golden = -e $golden_file ? PostgreSQL::Test::Utils::slurp_file($golden_file) : '';
	mkdir "$ENV{TESTDIR}/regress/results";
	unlink "$ENV{TESTDIR}/regress/results/$name";
	PostgreSQL::Test::Utils::append_to_file("$ENV{TESTDIR}/regress/results/$name", $got);
	is($got, $golden, "$label (results/$name)");
}

# Replace what differs from run to run (clocks, LSNs, xids) with placeholders,
# so whole messages can be compared with golden files.
sub normalize
{
	my ($json) = @_;
	return 'null' unless defined $json;
	$json =~ s/"(ts_ms|ts_us|ts_ns)":\d+/"$1":"<$1>"/g;
	$json =~ s/"(lsn|txId|origin_lsn)":\d+/"$1":"<$1>"/g;
	$json =~ s/"sequence":"\[[^\]]*\]"/"sequence":"<sequence>"/g;
	$json =~ s/"id":"\d+:\d+"/"id":"<xid:lsn>"/g;
	return $json;
}

1;
