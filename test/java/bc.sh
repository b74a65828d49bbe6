# bc.sh - BouncyCastle verification for the shell tests (sourced):
# test/java/BcVerify.java, bcmail over javax.mail as Java mail clients and
# gateways run it, compiled once per build tree (test/pki/shared.sh java).
#   bc_build DIR          check java, javac and the jars; put the classes
#                         into DIR (exit 99 with the reason when anything
#                         is missing or does not compile)
#   bc_verify DIR TRUST FILE...
#                         "OK FILE" / "FAIL FILE: reason" per file; status 0
#                         only when all verify (signers chain to TRUST.pem
#                         through the certificates in the SignedData)
: "${JAVA_CP:=/usr/share/java/bcmail.jar:/usr/share/java/bcpkix.jar:/usr/share/java/bcprov.jar:/usr/share/java/bcutil.jar:/usr/share/java/javax.mail.jar:/usr/share/java/javax.activation.jar}"

bc_build() {
	for c in javac java; do
		command -v $c >/dev/null 2>&1 ||
			{ echo "$c not found (contrib/debian-packages)"; exit 99; }
	done
	for j in $(echo "$JAVA_CP" | tr : ' '); do
		[ -f "$j" ] || { echo "$j not found (contrib/debian-packages)"; exit 99; }
	done
	JAVA_CP=$JAVA_CP sh "${top_srcdir:-.}/test/pki/shared.sh" java "$1" ||
		{ echo "javac BcVerify.java failed"; exit 99; }
}

bc_verify() {
	_bc_dir=$1
	shift
	java -cp "$JAVA_CP:$_bc_dir" BcVerify "$@"
}
