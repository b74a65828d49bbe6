/*
 * BcVerify - verify S/MIME multipart/signed and opaque
 * (application/pkcs7-mime; smime-type=signed-data) messages with BouncyCastle's
 * bcmail (the engine of Java mail clients and gateways), as an independent
 * check of what smime-milter signs.  One JVM for a whole corpus.
 *
 * usage: java BcVerify TRUST.pem FILE...
 * For each FILE prints "OK FILE" or "FAIL FILE: reason"; exits 1 when any
 * failed.  A message passes when it parses as multipart/signed (or as
 * application/pkcs7-mime signed-data, the content encapsulated), has at
 * least one signer, every signer's signature verifies with its own
 * certificate from the SignedData, and that certificate chains (through
 * the certificates in the SignedData) to a certificate in TRUST.pem.
 */
import java.io.FileInputStream;
import java.io.InputStream;
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
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;

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

public class BcVerify {
	/* Decode every leaf's transfer encoding; throws when one cannot be. */
	static void readAll(javax.mail.Part p) throws Exception {
		if (p.isMimeType("multipart/*")) {
			javax.mail.Multipart mp = (javax.mail.Multipart)p.getContent();
			for (int i = 0; i < mp.getCount(); i++)
				readAll(mp.getBodyPart(i));
			return;
		}
		try (InputStream in = p.getInputStream()) {
			in.readAllBytes();
		}
	}

	public static void main(String[] args) throws Exception {
		Security.addProvider(new BouncyCastleProvider());
		CertificateFactory cf = CertificateFactory.getInstance("X.509");
		Set<TrustAnchor> anchors = new HashSet<>();
		try (InputStream in = new FileInputStream(args[0])) {
			for (java.security.cert.Certificate c : cf.generateCertificates(in))
				anchors.add(new TrustAnchor((X509Certificate)c, null));
		}
		Session session = Session.getDefaultInstance(new Properties());
		JcaX509CertificateConverter conv = new JcaX509CertificateConverter().setProvider("BC");
		int failed = 0;
		for (int i = 1; i < args.length; i++) {
			String name = args[i];
			try (InputStream in = new FileInputStream(name)) {
				MimeMessage msg = new MimeMessage(session, in);
				SMIMESigned s;
				if (msg.isMimeType("application/pkcs7-mime")) {
					s = new SMIMESigned(msg);
				} else {
					Object content = msg.getContent();
					if (!(content instanceof MimeMultipart))
						throw new Exception("not multipart");
					s = new SMIMESigned((MimeMultipart)content);
				}
				@SuppressWarnings("unchecked")
				Store<X509CertificateHolder> certs = s.getCertificates();
				List<X509Certificate> all = new ArrayList<>();
				for (Object o : certs.getMatches(null))
					all.add(conv.getCertificate((X509CertificateHolder)o));
				Collection<SignerInformation> signers = s.getSignerInfos().getSigners();
				if (signers.isEmpty())
					throw new Exception("no signer");
				for (SignerInformation si : signers) {
					@SuppressWarnings("unchecked")
					Collection<X509CertificateHolder> m = certs.getMatches(si.getSID());
					if (m.isEmpty())
						throw new Exception("signer certificate missing");
					X509Certificate cert = conv.getCertificate(m.iterator().next());
					if (!si.verify(new JcaSimpleSignerInfoVerifierBuilder().setProvider("BC").build(cert)))
						throw new Exception("signature does not verify");
					X509CertSelector sel = new X509CertSelector();
					sel.setCertificate(cert);
					PKIXBuilderParameters p = new PKIXBuilderParameters(anchors, sel);
					p.setRevocationEnabled(false);
					p.addCertStore(CertStore.getInstance("Collection",
					    new CollectionCertStoreParameters(all)));
					CertPathBuilder.getInstance("PKIX").build(p);
				}
				/* The signed content must also be readable as MIME
				 * (transfer encodings decoded, not charsets: Java
				 * has no unknown-8bit). */
				readAll(s.getContent());
				System.out.println("OK " + name);
			} catch (Exception e) {
				failed++;
				System.out.println("FAIL " + name + ": " + e);
			}
		}
		System.exit(failed == 0 ? 0 : 1);
	}
}
