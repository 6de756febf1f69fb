# The decoder over the replication protocol, as a shipper uses it: options
# given as a bare name (only possible here, not over SQL), errors reaching the
# client, and changes streamed through a walsender by pg_recvlogical.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Utils;
use ShipperTest;
use Test::More;

my $node = start_node('primary');

$node->safe_psql('postgres', q{
	CREATE TABLE items (id int PRIMARY KEY, label text);
	SELECT pg_create_logical_replication_slot('bare', 'cellcdc');
	SELECT pg_create_logical_replication_slot('explicit', 'cellcdc');
	SELECT pg_create_logical_replication_slot('stream', 'cellcdc');
	SELECT pg_create_logical_replication_slot('bad', 'cellcdc');
});

# a transaction with an xid but no change to send
$node->safe_psql('postgres', 'CREATE TABLE ddl_only (x int)');
$node->safe_psql('postgres', q{INSERT INTO items VALUES (1, 'streamed-through-walsender')});
my $endpos = $node->safe_psql('postgres', 'SELECT pg_current_wal_lsn()');

# Receive a slot up to $endpos with pg_recvlogical; returns (exit ok, stdout, stderr).
sub receive
{
	my ($slot, @options) = @_;
	my @cmd = ('pg_recvlogical', '-d', $node->connstr('postgres'), '-S', $slot,
		'--start', '--no-loop', '-E', $endpos, '-f', '-');
	push @cmd, map { ('-o', $_) } @options;
	my ($stdout, $stderr);
	my $ok = IPC::Run::run(\@cmd, '>', \$stdout, '2>', \$stderr,
		IPC::Run::timeout($PostgreSQL::Test::Utils::timeout_default));
	return ($ok, $stdout, $stderr);
}

# "skip_empty_xacts" with no value means true: the DDL-only transaction is
# skipped, leaving only the INSERT's transaction
my ($ok_bare, $out_bare) = receive('bare', 'skip_empty_xacts');
my ($ok_explicit, $out_explicit) = receive('explicit', 'skip_empty_xacts=false');
ok($ok_bare && $ok_explicit, 'pg_recvlogical accepts a bare boolean option');
my $begins_bare = () = $out_bare =~ /^B\x01/mg;
my $begins_explicit = () = $out_explicit =~ /^B\x01/mg;
is($begins_bare, 1, 'bare skip_empty_xacts skips the empty transaction');
is($begins_explicit, 2, 'skip_empty_xacts=false sends the empty transaction too');

# a list option needs a value; the error names it
my ($ok_bad, undef, $err_bad) = receive('bad', 'include_tables');
ok(!$ok_bad, 'a bare list option is refused');
like($err_bad, qr/option "include_tables" needs a value/, 'the error names the option');

# changes streamed through the walsender, with binary values intact
my ($ok_stream, $out_stream) = receive('stream', 'include_tables=public.items');
ok($ok_stream, 'streaming with a filter succeeds');
like($out_stream, qr/streamed-through-walsender/, 'the row arrives through the walsender');
like($out_stream, qr/^R\x00\x00/m, 'a RELATION record precedes it');

# after streaming, the slot has confirmed what it received
my $confirmed = $node->safe_psql('postgres',
	"SELECT confirmed_flush_lsn >= '$endpos' FROM pg_replication_slots WHERE slot_name = 'stream'");
is($confirmed, 't', 'the slot confirmed the received position');

$node->stop;
done_testing();
