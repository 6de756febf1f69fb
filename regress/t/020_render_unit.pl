# The shipper's renderer and JSON writer on their own, without a server:
# regress/unit/render_test.c is compiled against shipper/render/ and
# decoder/record.c and stored.c, and each line it prints ("ok - ..." or "not ok - ...")
# becomes a test here.  CC picks the compiler (default cc).
use strict;
use warnings;
use File::Temp qw(tempdir);
use IPC::Run;
use Test::More;

my $src = $ENV{TESTDIR} // '.';
my $dir = tempdir(CLEANUP => 1);
my $cc = $ENV{CC} // 'cc';
my ($out, $err) = ('', '');

my @sources = (glob("$src/shipper/render/*.c"), "$src/decoder/record.c", "$src/decoder/stored.c");
my $built = IPC::Run::run(
	[ $cc, '-std=gnu11', '-D_GNU_SOURCE', '-O2', '-Wall', '-Wextra', '-Wno-unused-parameter', '-Werror',
		"-I$src/shipper", "-I$src/decoder", '-o', "$dir/render_test",
		"$src/regress/unit/render_test.c", @sources, '-lm' ],
	'>', \$out, '2>', \$err);
ok($built, 'render_test.c builds without warnings') or diag($err);

if ($built)
{
	($out, $err) = ('', '');
	my $ran = IPC::Run::run([ "$dir/render_test" ], '>', \$out, '2>', \$err);
	for my $line (split /\n/, $out)
	{
		if ($line =~ /^(not )?ok - (.*)$/)
		{
			ok(!defined $1, $2);
		}
		elsif ($line !~ /^\d+ checks failed$/)
		{
			diag($line);
		}
	}
	ok($ran, 'render_test exits 0') or diag($err);
}

done_testing();
