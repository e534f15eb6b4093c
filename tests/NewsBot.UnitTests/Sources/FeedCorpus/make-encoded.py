# Writes the encoded members of the feed corpus (the text ones are written by hand); run from the corpus folder.
import base64
def rss(title, items, decl=None):
    enc = ' encoding="%s"' % decl if decl else ''
    d = '<?xml version="1.0"' + enc + '?>\n'
    body = ''.join(f'  <item>\n    <title>{t}</title>\n    <link>https://news.example/{slug}</link>\n    <description>{txt}</description>\n  </item>\n' for slug, t, txt in items)
    return d + f'<rss version="2.0">\n<channel>\n  <title>{title}</title>\n  <link>https://news.example/</link>\n{body}</channel>\n</rss>\n'

ru = rss("Городские новости", [
 ("budget", "Совет утвердил бюджет", "Городской совет утвердил новый бюджет на следующий год. Основные расходы пойдут на ремонт дорог, школ и больниц. Жители смогут обсудить план на открытых слушаниях в марте."),
 ("park", "В парке высадят деревья", "Весной в центральном парке высадят больше трёхсот молодых деревьев. Работы начнутся в апреле и продлятся до конца мая, сообщили в администрации."),
])
open("koi8r-undeclared.xml","wb").write(ru.encode("koi8_r"))
open("windows1251-undeclared.xml","wb").write(ru.encode("cp1251"))
he = rss("חדשות העיר", [
 ("budget", "המועצה אישרה את התקציב", "מועצת העיר אישרה את התקציב החדש לשנה הבאה. רוב הכסף יופנה לתיקון כבישים, בתי ספר ובתי חולים. התושבים יוכלו לדון בתוכנית בדיון פתוח בחודש מרץ."),
 ("park", "עצים חדשים בפארק", "באביב ישתלו בפארק המרכזי יותר משלוש מאות עצים צעירים. העבודות יתחילו באפריל ויימשכו עד סוף מאי, כך נמסר מהעירייה."),
])
open("hebrew-windows1255-undeclared.xml","wb").write(he.encode("cp1255"))
ja = rss("市のニュース", [
 ("budget", "市議会が予算を承認", "市議会は来年度の新しい予算を承認しました。主な支出は道路、学校、病院の修理に充てられます。住民は三月の公開討論会で計画について意見を述べることができます。"),
 ("park", "公園に新しい木を植える", "春に中央公園で三百本以上の若い木が植えられます。作業は四月に始まり、五月末まで続くと市役所が発表しました。"),
])
open("japanese-shiftjis-undeclared.xml","wb").write(ja.encode("shift_jis"))
open("japanese-eucjp-undeclared.xml","wb").write(ja.encode("euc_jp"))
ko = rss("시 소식", [
 ("budget", "시의회 예산 승인", "시의회는 내년도 새 예산을 승인했습니다. 주요 지출은 도로, 학교, 병원 수리에 사용됩니다. 주민들은 삼월 공개 토론회에서 계획에 대해 의견을 말할 수 있습니다."),
 ("park", "공원에 새 나무 심어", "봄에 중앙 공원에 삼백 그루가 넘는 어린 나무를 심습니다. 작업은 사월에 시작되어 오월 말까지 계속된다고 시청이 밝혔습니다."),
])
open("korean-euckr-undeclared.xml","wb").write(ko.encode("euc_kr"))
th = rss("ข่าวเมือง", [
 ("budget", "สภาเมืองอนุมัติงบประมาณ", "สภาเมืองได้อนุมัติงบประมาณใหม่สำหรับปีหน้า เงินส่วนใหญ่จะใช้ในการซ่อมแซมถนน โรงเรียน และโรงพยาบาล ประชาชนสามารถแสดงความคิดเห็นเกี่ยวกับแผนนี้ได้ในการประชุมเปิดในเดือนมีนาคม"),
 ("park", "ปลูกต้นไม้ใหม่ในสวนสาธารณะ", "ในฤดูใบไม้ผลิจะมีการปลูกต้นไม้อ่อนมากกว่าสามร้อยต้นในสวนสาธารณะกลางเมือง งานจะเริ่มในเดือนเมษายนและดำเนินไปจนถึงปลายเดือนพฤษภาคม"),
])
open("thai-tis620-undeclared.xml","wb").write(th.encode("tis_620"))
en = rss("Harbour Gazette", [
 ("ferry", "Ferry timetable changes", "The harbour ferry will run every twenty minutes from Monday, the operator said."),
 ("market", "Fish market reopens", "The fish market reopened after repairs to its roof, with twelve stalls trading on the first morning."),
], decl="UTF-16")
open("utf16le-nobom.xml","wb").write(en.encode("utf-16-le"))
open("utf16be-nobom.xml","wb").write(en.encode("utf-16-be"))
open("utf32le-nobom.xml","wb").write(en.replace('encoding="UTF-16"','encoding="UTF-32"').encode("utf-32-le"))
# C1 controls: UTF-8 text whose quotes were stored as U+0093/U+0094 (Windows-1252 bytes read as ISO-8859-1), and as &#147;
c1 = rss("Quote Desk", [
 ("quotes", "Mayor says \u0093we will rebuild\u0094", "The mayor\u0092s speech \u0096 short and direct \u0096 promised a new bridge by &#147;next spring&#148;."),
])
open("c1-smart-quotes.xml","wb").write(c1.encode("utf-8"))
# Bytes no detector can read with confidence: a few high bytes that make no word of any script (a damaged file).
junk = rss("Damaged", [("damaged", "Report \x8e\x9a\xa4", "Text \x81\xf3\x8d\xc7\x90\xaa \x9d\xde\xb1\x84 end.")])
open("undecidable-bytes.xml","wb").write(junk.encode("latin-1"))
