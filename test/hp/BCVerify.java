// BCVerify.java - verify S/MIME messages the way Java mail clients and
// gateways do: javax.mail parses the message, BouncyCastle's SMIMESigned
// rebuilds the signed part from the parsed MIME and checks every signer
// against the trust anchor (PKIX, no revocation).  Prints "OK FILE" or
// "FAIL FILE: reason" per file; exit 0 only when all verify.
// Usage: java -cp ... BCVerify ROOT.pem CHAIN.pem FILE...
import java.io.FileInputStream;
import java.security.Security;
import java.security.cert.CertPathBuilder;
import java.security.cert.CertStore;
import java.security.cert.CertificateFactory;
import java.security.cert.CollectionCertStoreParameters;
import java.security.cert.PKIXBuilderParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CertSelector;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Properties;

import javax.mail.Session;
import javax.mail.internet.MimeMessage;
import javax.mail.internet.MimeMultipart;

import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.mail.smime.SMIMESigned;
import org.bouncycastle.util.Store;

public class BCVerify {
	public static void main(String[] args) throws Exception {
		Security.addProvider(new BouncyCastleProvider());
		CertificateFactory cf = CertificateFactory.getInstance("X.509");
		X509Certificate root;
		try (FileInputStream in = new FileInputStream(args[0])) {
			root = (X509Certificate) cf.generateCertificate(in);
		}
		List<X509Certificate> extra = new ArrayList<>();
		try (FileInputStream in = new FileInputStream(args[1])) {
			for (java.security.cert.Certificate c : cf.generateCertificates(in))
				extra.add((X509Certificate) c);
		}
		Session session = Session.getDefaultInstance(new Properties());
		int bad = 0;
		for (int i = 2; i < args.length; i++) {
			try (FileInputStream in = new FileInputStream(args[i])) {
				MimeMessage msg = new MimeMessage(session, in);
				SMIMESigned s = new SMIMESigned((MimeMultipart) msg.getContent());
				Store<X509CertificateHolder> certs = s.getCertificates();
				JcaX509CertificateConverter conv = new JcaX509CertificateConverter().setProvider("BC");
				int n = 0;
				for (SignerInformation si : s.getSignerInfos().getSigners()) {
					@SuppressWarnings("unchecked")
					Collection<X509CertificateHolder> m = certs.getMatches(si.getSID());
					X509Certificate cert = conv.getCertificate(m.iterator().next());
					if (!si.verify(new JcaSimpleSignerInfoVerifierBuilder().setProvider("BC").build(cert)))
						throw new Exception("signature does not verify");
					List<X509Certificate> pool = new ArrayList<>(extra);
					for (X509CertificateHolder h : certs.getMatches(null))
						pool.add(conv.getCertificate(h));
					X509CertSelector sel = new X509CertSelector();
					sel.setCertificate(cert);
					PKIXBuilderParameters p = new PKIXBuilderParameters(
					    Collections.singleton(new TrustAnchor(root, null)), sel);
					p.addCertStore(CertStore.getInstance("Collection",
					    new CollectionCertStoreParameters(pool)));
					p.setRevocationEnabled(false);
					CertPathBuilder.getInstance("PKIX").build(p);
					n++;
				}
				if (n == 0)
					throw new Exception("no signers");
				System.out.println("OK " + args[i]);
			} catch (Exception e) {
				System.out.println("FAIL " + args[i] + ": " + e);
				bad++;
			}
		}
		System.exit(bad == 0 ? 0 : 1);
	}
}
