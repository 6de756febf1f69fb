# The Kafka cluster of the end-to-end tests: regress/mockbroker serves the
# Kafka protocol on 127.0.0.1, and kcat, an independent client, produces to
# it, reads back what it stored and sees the faults it is told to inject.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;
use Time::HiRes qw(usleep);

my $dir = PostgreSQL::Test::Utils::tempdir;
my $bootstrap_file = "$dir/bootstrap";
my $fifo = "$dir/control";
my ($out, $err) = ('', '');
my $mock = IPC::Run::start(
	[ "$ENV{TESTDIR}/regress/mockbroker", '-b', '3', '-f', $bootstrap_file,
		'-c', $fifo, '-t', 'orders:6' ],
	'>', \$out, '2>', \$err);

for (my $i = 0; $i < 100 && !-e $bootstrap_file; $i++) { usleep(100_000); }
my $bootstrap = PostgreSQL::Test::Utils::slurp_file($bootstrap_file);
chomp $bootstrap;
like($bootstrap, qr/^127\.0\.0\.1:\d+(,127\.0\.0\.1:\d+){2}$/, 'three brokers, on loopback only');

# Send one command through the fifo and return the mock's answer.
sub control
{
	my ($command) = @_;
	my $answers = () = $out =~ /\n/g;
	open(my $fh, '>', $fifo) or die "cannot open $fifo: $!";
	print $fh "$command\n";
	close $fh;
	for (my $i = 0; $i < 100; $i++)
	{
		$mock->pump_nb;
		my @lines = split /\n/, $out;
		return $lines[-1] if scalar(@lines) > $answers;
		usleep(50_000);
	}
	return 'no answer';
}

# Run kcat with the given arguments and input; return its output.
sub kcat
{
	my ($input, @args) = @_;
	my ($stdout, $stderr) = ('', '');
	IPC::Run::run([ 'kcat', '-b', $bootstrap, @args ], '<', \$input, '>', \$stdout,
		'2>', \$stderr, IPC::Run::timeout($PostgreSQL::Test::Utils::timeout_default))
	  or die "kcat @args failed: $stderr";
	return $stdout;
}

kcat("k1:one\nk2:two\nk1:three\n", '-P', '-t', 'orders', '-K:', '-H', 'src=tap');
my @got = sort split /\n/, kcat('', '-C', '-t', 'orders', '-e', '-q', '-f', '%k=%s %h\n');
is_deeply(\@got, [ 'k1=one src=tap', 'k1=three src=tap', 'k2=two src=tap' ],
	'messages, keys and headers are stored and read back');
my %partitions;
my $placement = kcat('', '-C', '-t', 'orders', '-e', '-q', '-f', '%k %p\n');
$partitions{$1}{$2} = 1 while $placement =~ /^(\S+) (\d+)$/mg;
is(scalar(keys %{ $partitions{k1} }), 1, 'one key, one partition');

is(control('create invoices 4 3'), 'ok', 'create a topic');
my $metadata = kcat('', '-L', '-t', 'invoices');
is(() = $metadata =~ /partition \d+,/g, 4, 'it has the partitions asked for');
like(control('create invoices 4 3'), qr/^error: .*already exists/i, 'creating it again is refused');
like(control('bogus'), qr/^error: unknown command/, 'an unknown command is an error, not a crash');
is(control('down 1'), 'ok', 'a broker goes down');
is(control('up 1'), 'ok', 'and comes back');
is(control('err 0 6 6'), 'ok', 'injected produce errors are accepted');
kcat("k3:after-faults\n", '-P', '-t', 'orders', '-K:');
like(kcat('', '-C', '-t', 'orders', '-e', '-q', '-f', '%k=%s\n'), qr/^k3=after-faults$/m,
	'producing retries through injected errors');

control('quit');
$mock->finish;
is($?, 0, 'quit stops the mock cleanly');
ok(!-e $bootstrap_file, 'and removes its bootstrap file');

done_testing();
